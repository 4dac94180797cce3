/** cam_target_seed: each image's target class (fixed, or the argmax of its logits) and the one-hot seed of its logit. */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid } from './kernel.js';
import { ELEMENTWISE_WG } from './elementwise.js';

export const camTargetSeed = defineKernel({
  name: 'cam.target_seed',
  shader: 'cam/target_seed',
  bindings: [
    { name: 'logits', access: 'read' },
    { name: 'seed', access: 'read_write' },
    { name: 'targets', access: 'read_write' },
  ],
  params: [['batch', 'u32'], ['classes', 'u32'], ['fixed', 'u32'], ['cls', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil(p.batch / ELEMENTWISE_WG), maxPerDim),
});

/** seed [N, K] one-hot and targets [N] (f32) from logits [N, K]; `fixedClass` overrides the argmax. */
export function runCamTargetSeed(
  gpu: Gpu,
  logits: GPUBuffer,
  seed: GPUBuffer,
  targets: GPUBuffer,
  batch: number,
  classes: number,
  fixedClass?: number,
): void {
  if (fixedClass !== undefined && !(Number.isInteger(fixedClass) && fixedClass >= 0 && fixedClass < classes)) {
    throw new RangeError(`cam.target_seed: class ${fixedClass} is not in [0, ${classes})`);
  }
  gpu.run(camTargetSeed, { batch, classes, fixed: fixedClass === undefined ? 0 : 1, cls: fixedClass ?? 0 }, [logits, seed, targets]);
}
