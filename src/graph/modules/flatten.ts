/** Flatten: keeps the dims before `startDim` (default 1, the batch) and merges the rest (a view, no copy). */
import { flatten } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Flatten extends Module {
  constructor(readonly startDim = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim);
  }
}
