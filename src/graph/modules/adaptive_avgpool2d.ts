/** AdaptiveAvgPool2d: averages each plane into an output of a fixed size (1 gives global average pooling). */
import { adaptiveAvgpool2d } from '../ops/adaptive_avgpool2d.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: number | readonly [number, number]) {
    super();
    this.outputSize = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0], outputSize[1]];
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgpool2d(x, this.outputSize);
  }
}
