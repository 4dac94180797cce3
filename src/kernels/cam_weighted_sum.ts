/**
 * cam_weighted_sum: class activation maps as weighted channel sums of activations, m[n, s] = sum_c w[row, c, s] *
 * a[n, c, s] (then ReLU for Grad-CAM). The weights are addressed by strides, so CAM after global average pooling,
 * CNN-X's per-location contribution and Grad-CAM's channel weights all run this one kernel (see the shader).
 */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid } from './kernel.js';

const WG = 64;

export const camWeightedSum = defineKernel({
  name: 'cam.weighted_sum',
  shader: 'cam/weighted_sum',
  bindings: [
    { name: 'a', access: 'read' },
    { name: 'w', access: 'read' },
    { name: 'rows', access: 'read' },
    { name: 'm', access: 'read_write' },
  ],
  params: [
    ['batch', 'u32'],
    ['channels', 'u32'],
    ['spatial', 'u32'],
    ['rowStride', 'u32'],
    ['cStride', 'u32'],
    ['sStride', 'u32'],
    ['relu', 'u32'],
  ],
  workgroupSize: [WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(p.batch * p.spatial, maxPerDim),
});

/** How the weights of image n are laid out: element (c, s) of its row is w[row * rowStride + c * cStride + s * sStride]. */
export interface CamWeightLayout {
  rowStride: number;
  cStride: number;
  sStride: number;
}

export interface CamSumShape {
  batch: number;
  channels: number;
  /** H * W of the activations. */
  spatial: number;
}

/** m [N, S] from a [N, C, S], weights w laid out as `layout`, and rows [N] (f32 integers) picking each image's row. */
export function runCamWeightedSum(
  gpu: Gpu,
  a: GPUBuffer,
  w: GPUBuffer,
  rows: GPUBuffer,
  m: GPUBuffer,
  shape: CamSumShape,
  layout: CamWeightLayout,
  relu: boolean,
): void {
  gpu.run(camWeightedSum, { ...shape, ...layout, relu: relu ? 1 : 0 }, [a, w, rows, m]);
}
