/** ReLU: the relu op as a layer (no parameters). */
import { relu } from '../ops/relu.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
