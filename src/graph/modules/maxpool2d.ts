/** MaxPool2d: the maxpool2d op as a layer; stride defaults to the kernel size, as in torch.nn.MaxPool2d. */
import { maxpool2d } from '../ops/maxpool2d.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

type Pair = number | readonly [number, number];

export interface MaxPool2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernel: Pair,
    readonly options: MaxPool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxpool2d(x, { kernel: this.kernel, ...this.options });
  }
}
