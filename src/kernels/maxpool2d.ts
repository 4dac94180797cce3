/**
 * maxpool2d: the forward takes the maximum over each window and saves where it was (a u32 per output, its position
 * iy * W + ix in the plane); the backward gathers, for each input element, dy of the windows whose maximum it was.
 * Numbered variants (forward_1_unrolled, backward_1_vec4) compute the same values faster on lavapipe; the direct
 * kernels handle every geometry and stay as the reference.
 */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid } from './kernel.js';
import { ELEMENTWISE_WG } from './elementwise.js';
import {
  CHUNK_PARAMS,
  WINDOW_PARAMS,
  checkPoolVariant,
  chunkLayout,
  fastPoolSpec,
  poolBackwardVariants,
  poolForwardVariants,
  windowParams,
  vec4Unroll,
  type Pool2dGeometry,
  type PoolBackwardVariant,
  type PoolForwardVariant,
} from './pool_geometry.js';

const FAST_PARAMS = [...WINDOW_PARAMS, ...CHUNK_PARAMS] as const;

export const maxpool2dForward = defineKernel({
  name: 'maxpool2d.forward',
  shader: 'maxpool2d/forward',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
    { name: 'idx', access: 'read_write' },
  ],
  params: WINDOW_PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.oh * p.ow) / ELEMENTWISE_WG), maxPerDim),
});

export const maxpool2dBackward = defineKernel({
  name: 'maxpool2d.backward',
  shader: 'maxpool2d/backward',
  bindings: [
    { name: 'idx', access: 'read' },
    { name: 'dy', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: WINDOW_PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.h * p.w) / ELEMENTWISE_WG), maxPerDim),
});

/** y and idx are [N, C, oh, ow]; idx holds u32 positions (not floats). `variant` defaults to the fastest that applies. */
export function runMaxpool2dForward(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, idx: GPUBuffer, g: Pool2dGeometry,
  variant: PoolForwardVariant = poolForwardVariants(g).at(-1)!): void {
  if (variant === 'direct') {
    gpu.run(maxpool2dForward, windowParams(g), [x, y, idx]);
    return;
  }
  checkPoolVariant('maxpool2d', variant, poolForwardVariants(g));
  const params = { ...windowParams(g), ...chunkLayout(g.planes, g.oh * g.ow) };
  const spec = fastPoolSpec('maxpool2d', 'forward_1_unrolled', maxpool2dForward.bindings, FAST_PARAMS, { KH: g.kh, KW: g.kw });
  gpu.run(spec, params, [x, y, idx]);
}

export function runMaxpool2dBackward(gpu: Gpu, idx: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, g: Pool2dGeometry,
  variant: PoolBackwardVariant = poolBackwardVariants(g).at(-1)!): void {
  if (variant === 'direct') {
    gpu.run(maxpool2dBackward, windowParams(g), [idx, dy, dx]);
    return;
  }
  checkPoolVariant('maxpool2d', variant, poolBackwardVariants(g));
  const { v, ry, rx } = vec4Unroll(g);
  const params = { ...windowParams(g), ...chunkLayout(g.planes, (g.h * g.w) / (4 * v)) };
  const spec = fastPoolSpec('maxpool2d', 'backward_1_vec4', maxpool2dBackward.bindings, FAST_PARAMS, { V: v, RY: ry, RX: rx });
  gpu.run(spec, params, [idx, dy, dx]);
}
