/**
 * softmax_cross_entropy: the mean cross-entropy of logits [n, c] against class labels [n] (f32 indices), fused
 * with the softmax the backward pass reuses; and the softmax alone for prediction.
 */
import type { Gpu } from '../runtime/gpu.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';
import { defineKernel, linearGrid } from './kernel.js';

const FORWARD_WG = 64;
const SOFTMAX_WG = 64;
const NAN_BITS = 0x7fc00000;

export const softmaxCrossEntropyForward = defineKernel({
  name: 'softmax_cross_entropy.forward',
  shader: 'softmax_cross_entropy/forward',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'labels', access: 'read' },
    { name: 'probs', access: 'read_write' },
    { name: 'loss', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['c', 'u32'], ['nanBits', 'u32']],
  workgroupSize: [FORWARD_WG, 1, 1],
  grid: () => [1, 1, 1],
});

export const softmaxCrossEntropyBackward = defineKernel({
  name: 'softmax_cross_entropy.backward',
  shader: 'softmax_cross_entropy/backward',
  bindings: [
    { name: 'probs', access: 'read' },
    { name: 'labels', access: 'read' },
    { name: 'dy', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['c', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, max) => elementwiseGrid({ n: p.n * p.c }, max),
});

export const softmaxRows = defineKernel({
  name: 'softmax_cross_entropy.softmax',
  shader: 'softmax_cross_entropy/softmax',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'probs', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['c', 'u32']],
  workgroupSize: [SOFTMAX_WG, 1, 1],
  grid: (p, max) => linearGrid(Math.ceil(p.n / SOFTMAX_WG), max),
});

/** loss[0] = mean cross-entropy; probs = softmax of each row. */
export function runSoftmaxCrossEntropyForward(
  gpu: Gpu,
  x: GPUBuffer,
  labels: GPUBuffer,
  probs: GPUBuffer,
  loss: GPUBuffer,
  n: number,
  c: number,
): void {
  gpu.run(softmaxCrossEntropyForward, { n, c, nanBits: NAN_BITS }, [x, labels, probs, loss]);
}

/** dx = (probs - onehot(labels)) * dy[0] / n. */
export function runSoftmaxCrossEntropyBackward(
  gpu: Gpu,
  probs: GPUBuffer,
  labels: GPUBuffer,
  dy: GPUBuffer,
  dx: GPUBuffer,
  n: number,
  c: number,
): void {
  gpu.run(softmaxCrossEntropyBackward, { n, c }, [probs, labels, dy, dx]);
}

export function runSoftmax(gpu: Gpu, x: GPUBuffer, probs: GPUBuffer, n: number, c: number): void {
  gpu.run(softmaxRows, { n, c }, [x, probs]);
}
