/**
 * The gradient table: one rule per op, typed over the closed set of op names, so an op without a backward rule
 * does not compile. Each rule gets what its forward saved, the output's gradient dy, and which inputs need a
 * gradient; it returns one gradient (or null) per input, in the order the op recorded its inputs.
 */
import type { Tensor } from './tensor.js';
import { reluBackward, type ReluSaved } from './ops/relu.js';
import { addBackward, type AddSaved } from './ops/add.js';
import { addReluBackward, type AddReluSaved } from './ops/add_relu.js';
import { reshapeBackward, type ReshapeSaved } from './ops/reshape.js';
import { concatBackward, type ConcatSaved } from './ops/concat.js';
import { concatPool2dBackward, type ConcatPool2dSaved } from './ops/concat_pool2d.js';
import { conv2dBackward, type Conv2dSaved } from './ops/conv2d.js';
import { batchnorm2dBackward, batchnorm2dReluBackward, type Batchnorm2dSaved } from './ops/batchnorm2d.js';
import { maxpool2dBackward, type Maxpool2dSaved } from './ops/maxpool2d.js';
import { avgpool2dBackward, type Avgpool2dSaved } from './ops/avgpool2d.js';
import { adaptiveAvgpool2dBackward, type AdaptiveAvgpool2dSaved } from './ops/adaptive_avgpool2d.js';
import { linearBackward, type LinearSaved } from './ops/linear.js';
import { dropoutBackward, type DropoutSaved } from './ops/dropout.js';
import { softmaxCrossEntropyBackward, type SoftmaxCrossEntropySaved } from './ops/softmax_cross_entropy.js';

export interface OpSaved {
  relu: ReluSaved;
  add: AddSaved;
  add_relu: AddReluSaved;
  reshape: ReshapeSaved;
  concat: ConcatSaved;
  concat_pool2d: ConcatPool2dSaved;
  conv2d: Conv2dSaved;
  batchnorm2d: Batchnorm2dSaved;
  batchnorm2d_relu: Batchnorm2dSaved;
  maxpool2d: Maxpool2dSaved;
  avgpool2d: Avgpool2dSaved;
  adaptive_avgpool2d: AdaptiveAvgpool2dSaved;
  linear: LinearSaved;
  dropout: DropoutSaved;
  softmax_cross_entropy: SoftmaxCrossEntropySaved;
}

export type OpName = keyof OpSaved;

export type GradRule<S> = (saved: S, dy: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[];

export const gradientRules: { readonly [K in OpName]: GradRule<OpSaved[K]> } = {
  relu: reluBackward,
  add: addBackward,
  add_relu: addReluBackward,
  reshape: reshapeBackward,
  concat: concatBackward,
  concat_pool2d: concatPool2dBackward,
  conv2d: conv2dBackward,
  batchnorm2d: batchnorm2dBackward,
  batchnorm2d_relu: batchnorm2dReluBackward,
  maxpool2d: maxpool2dBackward,
  avgpool2d: avgpool2dBackward,
  adaptive_avgpool2d: adaptiveAvgpool2dBackward,
  linear: linearBackward,
  dropout: dropoutBackward,
  softmax_cross_entropy: softmaxCrossEntropyBackward,
};
