/**
 * avgpool2d: window sums over PyTorch's divisor (override, count_include_pad or real elements); the backward
 * gathers dy / divisor over the windows containing each input element. Numbered variants (forward_1_unrolled,
 * backward_1_vec4) compute the same values faster on lavapipe; the direct kernels handle every geometry.
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

const PARAMS = [...WINDOW_PARAMS, ['countIncludePad', 'u32'], ['divisorOverride', 'i32']] as const;
const FAST_PARAMS = [...PARAMS, ...CHUNK_PARAMS] as const;

export interface AvgDivisor {
  countIncludePad: boolean;
  /** 0: none. */
  divisorOverride: number;
}

export const avgpool2dForward = defineKernel({
  name: 'avgpool2d.forward',
  shader: 'avgpool2d/forward',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.oh * p.ow) / ELEMENTWISE_WG), maxPerDim),
});

export const avgpool2dBackward = defineKernel({
  name: 'avgpool2d.backward',
  shader: 'avgpool2d/backward',
  bindings: [
    { name: 'dy', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.h * p.w) / ELEMENTWISE_WG), maxPerDim),
});

function params(g: Pool2dGeometry, d: AvgDivisor) {
  return { ...windowParams(g), countIncludePad: d.countIncludePad ? 1 : 0, divisorOverride: d.divisorOverride };
}

/** `variant` defaults to the fastest that applies. */
export function runAvgpool2dForward(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, g: Pool2dGeometry, d: AvgDivisor,
  variant: PoolForwardVariant = poolForwardVariants(g).at(-1)!): void {
  if (variant === 'direct') {
    gpu.run(avgpool2dForward, params(g, d), [x, y]);
    return;
  }
  checkPoolVariant('avgpool2d', variant, poolForwardVariants(g));
  const spec = fastPoolSpec('avgpool2d', 'forward_1_unrolled', avgpool2dForward.bindings, FAST_PARAMS, { KH: g.kh, KW: g.kw });
  gpu.run(spec, { ...params(g, d), ...chunkLayout(g.planes, g.oh * g.ow) }, [x, y]);
}

export function runAvgpool2dBackward(gpu: Gpu, dy: GPUBuffer, dx: GPUBuffer, g: Pool2dGeometry, d: AvgDivisor,
  variant: PoolBackwardVariant = poolBackwardVariants(g).at(-1)!): void {
  if (variant === 'direct') {
    gpu.run(avgpool2dBackward, params(g, d), [dy, dx]);
    return;
  }
  checkPoolVariant('avgpool2d', variant, poolBackwardVariants(g));
  const { v, ry, rx } = vec4Unroll(g);
  const spec = fastPoolSpec('avgpool2d', 'backward_1_vec4', avgpool2dBackward.bindings, FAST_PARAMS, { V: v, RY: ry, RX: rx });
  gpu.run(spec, { ...params(g, d), ...chunkLayout(g.planes, (g.h * g.w) / (4 * v)) }, [dy, dx]);
}
