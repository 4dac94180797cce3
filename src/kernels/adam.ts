/**
 * adam: the fused torch.optim.Adam update of parameter buffers (w, m, v in place); see shaders/adam/step.wgsl, and
 * step_4.wgsl for four small parameters in one dispatch; their _1_vec4 variants take four elements a thread where the
 * sizes are multiples of 4 (every parameter of CNN-X and the ResNets). Parameters over one binding (VGG's 411 MB
 * classifier weight) are updated in element slices.
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

/** adam/step_1_vec4: adam.step four elements a thread, for parameters of a multiple of 4 elements (n counts vec4s). */
export const adamStepVec4 = defineKernel({ ...adamStep, name: 'adam.step_1_vec4', shader: 'adam/step_1_vec4' });

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** adam/step_4: four parameters' updates in one dispatch (16 storage bindings). */
export const adamStep4 = defineKernel({
  name: 'adam.step_4',
  shader: 'adam/step_4',
  bindings: [0, 1, 2, 3].flatMap((k) => [
    { name: `w${k}`, access: 'read_write' as const },
    { name: `dw${k}`, access: 'read' as const },
    { name: `m${k}`, access: 'read_write' as const },
    { name: `v${k}`, access: 'read_write' as const },
  ]),
  params: [['n', 'u32'], ['s1', 'u32'], ['s2', 'u32'], ['s3', 'u32'], ...adamStep.params.slice(1)],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

/** adam/step_4_1_vec4: adam.step_4 four elements a thread (n, s1, s2, s3 count vec4s). */
export const adamStep4Vec4 = defineKernel({ ...adamStep4, name: 'adam.step_4_1_vec4', shader: 'adam/step_4_1_vec4' });

/** Parameters adam.step_4 updates together. */
const STEP_SETS = 4;

/** One parameter's update: its buffers, element count and step number t (1 for its first update). */
export interface AdamUpdate {
  buffers: { w: GPUBuffer; dw: GPUBuffer; m: GPUBuffer; v: GPUBuffer };
  n: number;
  t: number;
}

/**
 * Records the updates, bias corrections formed here in f64. Parameters that share a step count and fit one binding
 * go four to a dispatch (adam.step_4) where the device binds 16 storage buffers to a shader, the rest one each
 * (adam.step, in element slices past one binding): CNN-X's 18 parameters take 6 dispatches, not 18.
 */
export function runAdamUpdates(gpu: Gpu, updates: readonly AdamUpdate[], h: AdamHyper): void {
  const maxBytes = gpu.limits.maxStorageBufferBindingSize;
  const grouped = gpu.limits.maxStorageBuffersPerShaderStage >= STEP_SETS * 4;
  const batches = new Map<number, AdamUpdate[]>(); // by step count
  for (const u of updates) {
    if (!grouped || u.n * 4 > maxBytes) {
      runAdamStep(gpu, u, h);
      continue;
    }
    const batch = batches.get(u.t) ?? [];
    batch.push(u);
    batches.set(u.t, batch);
  }
  for (const [t, batch] of batches) {
    let i = 0;
    for (; i + STEP_SETS <= batch.length; i += STEP_SETS) {
      const four = batch.slice(i, i + STEP_SETS);
      const unit = four.every((u) => u.n % 4 === 0) ? 4 : 1; // elements a thread: vec4s where every size allows
      const starts = four.map((_, k) => four.slice(0, k).reduce((sum, u) => sum + u.n, 0) / unit);
      const n = starts[3]! + four[3]!.n / unit;
      const params = { ...hyperParams(h, t), n, s1: starts[1]!, s2: starts[2]!, s3: starts[3]! };
      const spec = unit === 4 ? adamStep4Vec4 : adamStep4;
      gpu.run(spec, params, four.flatMap((u) => [u.buffers.w, u.buffers.dw, u.buffers.m, u.buffers.v]));
    }
    for (; i < batch.length; i++) runAdamStep(gpu, batch[i]!, h);
  }
}

/** Records one parameter's update (in element slices past one binding). */
export function runAdamStep(gpu: Gpu, u: AdamUpdate, h: AdamHyper): void {
  const params = { ...hyperParams(h, u.t), n: u.n };
  const { w, dw, m, v } = u.buffers;
  forEachElementSlice(gpu, u.n, [w, dw, m, v], (_start, count, bindings) => {
    if (count % 4 === 0) gpu.run(adamStepVec4, { ...params, n: count / 4 }, bindings);
    else gpu.run(adamStep, { ...params, n: count }, bindings);
  });
}

function hyperParams(h: AdamHyper, t: number) {
  return {
    stepSize: h.lr / (1 - h.beta1 ** t),
    beta1: h.beta1,
    oneMinusBeta1: 1 - h.beta1,
    beta2: h.beta2,
    oneMinusBeta2: 1 - h.beta2,
    eps: h.eps,
    weightDecay: h.weightDecay,
    bc2Sqrt: Math.sqrt(1 - h.beta2 ** t),
  };
}
