/**
 * What one kernel benchmark is: a pass of an op at one shape, its arithmetic and traffic, the variants that apply,
 * how to prepare its inputs, run and check each variant, and the same computation on the peer (TensorFlow.js).
 */
import type { Gpu } from '../runtime/gpu.js';
import type { Tf, TfTensor } from './peer_tfjs.js';

export interface KernelCase {
  /** The op as named across the layers (conv2d, batchnorm2d, ...). */
  op: string;
  /** The pass (forward, backward_input, ...). */
  pass: string;
  /** Which model's layer this shape is (cnnx_9x9, resnet50_3x3_56, ...). */
  label: string;
  /** The shapes, in words ("x [15, 1, 224, 224], w [16, 1, 9, 9], pad 4"). */
  shape: string;
  /** FLOPs of one run (multiply-adds count 2), with the formula in the case's source. */
  flops: number;
  /** Bytes one run must move at least (each operand once), with the formula in the case's source. */
  bytes: number;
  /** The kernel variants that apply to this shape, in their authors' numbering order (the simple one first). */
  variants: readonly string[];
  prepare(gpu: Gpu): Promise<PreparedCase>;
  /** The same computation on TensorFlow.js, or why there is none. */
  peer?: PeerCase | { none: string };
}

export interface PreparedCase {
  /** Records one run of `variant` on rotation set `i`. */
  run(variant: string, i: number): void;
  /** Runs `variant` once on the checked set and returns its error as a multiple of the tolerance (<= 1 passes). */
  check(variant: string): Promise<number>;
  dispose(): void;
}

export interface PeerCase {
  /** What the peer runs ("tf.conv2d", "runKernel Conv2DBackpropFilter"). */
  name: string;
  /** Makes the peer's inputs (rotation sets); returns the run of set `i`, whose tensors it may leave to tf.tidy. */
  prepare(tf: Tf): PreparedPeer;
}

export interface PreparedPeer {
  run(i: number): TfTensor | TfTensor[] | void;
  dispose(): void;
}

/** NCHW shapes in words. */
export function dims(values: readonly number[]): string {
  return `[${values.join(', ')}]`;
}
