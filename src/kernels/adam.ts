/**
 * adam: the fused torch.optim.Adam update of one parameter buffer (w, m, v in place); see shaders/adam/step.wgsl.
 * Parameters over one binding (VGG's 411 MB classifier weight) are updated in element slices.
 */
import type { Gpu } from '../runtime/gpu.js';
import { forEachElementSlice } from './batch_slices.js';
import { defineKernel } from './kernel.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';

export const adamStep = defineKernel({
  name: 'adam.step',
  shader: 'adam/step',
  bindings: [
    { name: 'w', access: 'read_write' },
    { name: 'dw', access: 'read' },
    { name: 'm', access: 'read_write' },
    { name: 'v', access: 'read_write' },
  ],
  params: [
    ['n', 'u32'],
    ['stepSize', 'f32'],
    ['beta1', 'f32'],
    ['oneMinusBeta1', 'f32'],
    ['beta2', 'f32'],
    ['oneMinusBeta2', 'f32'],
    ['eps', 'f32'],
    ['weightDecay', 'f32'],
    ['bc2Sqrt', 'f32'],
  ],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Records the update for step number `t` (1 for the first update); bias corrections are formed here, in f64. */
export function runAdamStep(
  gpu: Gpu,
  buffers: { w: GPUBuffer; dw: GPUBuffer; m: GPUBuffer; v: GPUBuffer },
  n: number,
  t: number,
  h: AdamHyper,
): void {
  const params = {
    n,
    stepSize: h.lr / (1 - h.beta1 ** t),
    beta1: h.beta1,
    oneMinusBeta1: 1 - h.beta1,
    beta2: h.beta2,
    oneMinusBeta2: 1 - h.beta2,
    eps: h.eps,
    weightDecay: h.weightDecay,
    bc2Sqrt: Math.sqrt(1 - h.beta2 ** t),
  };
  forEachElementSlice(gpu, n, [buffers.w, buffers.dw, buffers.m, buffers.v], (_start, count, bindings) =>
    gpu.run(adamStep, { ...params, n: count }, bindings));
}
