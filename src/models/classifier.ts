/**
 * What training, evaluation, prediction and CAM need from a model: logits from a batch, the input it expects,
 * and where its features and head are (for class activation maps).
 */
import type { Module } from '../graph/modules/module.js';
import type { Tensor } from '../graph/tensor.js';

/** How a gray image in [0, 1] becomes the model's input tensor. */
export interface InputSpec {
  channels: 1 | 3;
  height: number;
  width: number;
  /** Per-channel normalisation after scaling to [0, 1]: (x - mean) / std. */
  mean: readonly number[];
  std: readonly number[];
}

export interface Classifier extends Module {
  readonly input: InputSpec;
  readonly numClasses: number;
  /** Logits [N, numClasses] from an input batch [N, C, H, W]. */
  forward(x: Tensor): Tensor;
  /** The last feature maps before global pooling or the flattening head, [N, C', h, w]: what CAM weighs. */
  features(x: Tensor): Tensor;
}
