/** AvgPool2d: the avgpool2d op as a layer; stride defaults to the kernel size, as in torch.nn.AvgPool2d. */
import { avgpool2d } from '../ops/avgpool2d.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

type Pair = number | readonly [number, number];

export interface AvgPool2dOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
  /** Count padded zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  divisorOverride?: number;
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernel: Pair,
    readonly options: AvgPool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgpool2d(x, { kernel: this.kernel, ...this.options });
  }
}
