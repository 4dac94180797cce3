/**
 * cam_channel_weights: the per-channel weights of Grad-CAM (spatial mean of the gradient) and Grad-CAM++ (the
 * closed form with second and third powers of the gradient), one workgroup reduction per (image, channel) plane.
 */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid } from './kernel.js';

const WG = 64;

export const camGradcamWeights = defineKernel({
  name: 'cam.gradcam_weights',
  shader: 'cam/gradcam_weights',
  bindings: [
    { name: 'g', access: 'read' },
    { name: 'alpha', access: 'read_write' },
  ],
  params: [['planes', 'u32'], ['spatial', 'u32']],
  workgroupSize: [WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(p.planes, maxPerDim),
});

export const camGradcamppWeights = defineKernel({
  name: 'cam.gradcampp_weights',
  shader: 'cam/gradcampp_weights',
  bindings: [
    { name: 'a', access: 'read' },
    { name: 'g', access: 'read' },
    { name: 'alpha', access: 'read_write' },
  ],
  params: [['planes', 'u32'], ['spatial', 'u32']],
  workgroupSize: [WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(p.planes, maxPerDim),
});

/** alpha [N, C] = mean over S of g [N, C, S]. */
export function runGradcamWeights(gpu: Gpu, g: GPUBuffer, alpha: GPUBuffer, planes: number, spatial: number): void {
  gpu.run(camGradcamWeights, { planes, spatial }, [g, alpha]);
}

/** alpha [N, C] = sum over S of relu(g) * g^2 / (2 g^2 + sum(a) g^3 + 1e-6), from activations a and gradients g [N, C, S]. */
export function runGradcamppWeights(
  gpu: Gpu,
  a: GPUBuffer,
  g: GPUBuffer,
  alpha: GPUBuffer,
  planes: number,
  spatial: number,
): void {
  gpu.run(camGradcamppWeights, { planes, spatial }, [a, g, alpha]);
}
