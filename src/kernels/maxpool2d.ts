/**
 * maxpool2d: the forward takes the maximum over each window and saves where it was (a u32 per output, its position
 * iy * W + ix in the plane); the backward gathers, for each input element, dy of the windows whose maximum it was.
 * Numbered variants (forward_1_unrolled, forward_2_blocked, backward_1_vec4) compute the same values faster on
 * lavapipe; the direct kernels handle every geometry and stay as the reference.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid } from './kernel.js';
import { ELEMENTWISE_WG } from './elementwise.js';
import {
  CHUNK_PARAMS,
  WINDOW_PARAMS,
  blockedPatch,
  checkPoolVariant,
  checkWindowSums,
  choosePoolBackwardVariant,
  choosePoolForwardVariant,
  chunkLayout,
  fastPoolSpec,
  poolBackwardVariants,
  poolForwardVariants,
  windowParams,
  windowSumsBinding,
  poolBackwardRows,
  vec4Unroll,
  type ChannelSlot,
  type Pool2dGeometry,
  type PoolForwardFusion,
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
    { name: 'stats', access: 'read' },
  ],
  params: WINDOW_PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.oh * p.ow) / ELEMENTWISE_WG), maxPerDim),
});

/** The forward of relu(batchnorm2d(x)) (override BN_RELU = 1). */
export const maxpool2dForwardBnRelu = defineKernel({
  ...maxpool2dForward,
  name: 'maxpool2d.forward_bn_relu',
  constants: { BN_RELU: 1 },
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

/**
 * idx is [N, C, oh, ow] of u32 positions (not floats); y is [N, C, oh, ow], or the channels `fusion.slot` names of a
 * wider output; with `fusion.bnReluStats` the pool reads relu(batchnorm2d(x)). `variant` defaults to
 * choosePoolForwardVariant's.
 */
export function runMaxpool2dForward(gpu: Gpu, x: Binding, y: Binding, idx: Binding, g: Pool2dGeometry,
  variant: PoolForwardVariant = choosePoolForwardVariant(g, 'maxpool2d', gpu), fusion: PoolForwardFusion = {}): void {
  const bnRelu = fusion.bnReluStats !== undefined;
  checkWindowSums('maxpool2d', fusion, variant);
  // Without the fused batch norm the stats binding still needs a buffer; the shader never reads it.
  const buffers = [x, y, idx, fusion.bnReluStats ?? x];
  if (variant === 'direct') {
    gpu.run(bnRelu ? maxpool2dForwardBnRelu : maxpool2dForward, windowParams(g, fusion.slot), buffers);
    return;
  }
  checkPoolVariant('maxpool2d', variant, poolForwardVariants(g, 'maxpool2d'));
  const suffix = bnRelu ? '_bn_relu' : '';
  if (variant === 'blocked') {
    const { shd, swd } = blockedPatch(g)!;
    const params = { ...windowParams(g, fusion.slot), ...chunkLayout(g.planes, Math.ceil(g.oh / 2) * Math.ceil(g.ow / 2)) };
    const constants = { KH: g.kh, KW: g.kw, SHD: shd, SWD: swd, BN_RELU: bnRelu ? 1 : 0 };
    gpu.run(fastPoolSpec('maxpool2d', 'forward_2_blocked', maxpool2dForward.bindings, FAST_PARAMS, constants, suffix), params, buffers);
    return;
  }
  const params = { ...windowParams(g, fusion.slot), ...chunkLayout(g.planes, g.oh * g.ow) };
  const { sums, scratch, SUMS } = windowSumsBinding(gpu, fusion);
  const constants = { KH: g.kh, KW: g.kw, BN_RELU: bnRelu ? 1 : 0, SUMS };
  const bindings = [...maxpool2dForward.bindings, { name: 'sums', access: 'read_write' } as const];
  const spec = fastPoolSpec('maxpool2d', 'forward_1_unrolled', bindings, FAST_PARAMS, constants,
    suffix + (SUMS ? '_sums' : ''));
  gpu.run(spec, params, [...buffers, sums]);
  if (scratch) gpu.free(scratch);
}

/** dy is [N, C, oh, ow], or the channels `slot` names of a wider gradient (as the forward's y). */
export function runMaxpool2dBackward(gpu: Gpu, idx: Binding, dy: Binding, dx: Binding, g: Pool2dGeometry,
  variant: PoolBackwardVariant = choosePoolBackwardVariant(g, gpu), slot?: ChannelSlot): void {
  if (variant === 'direct') {
    gpu.run(maxpool2dBackward, windowParams(g, slot), [idx, dy, dx]);
    return;
  }
  checkPoolVariant('maxpool2d', variant, poolBackwardVariants(g));
  const rows = poolBackwardRows(g);
  const { v, ry, rx } = vec4Unroll(g, rows);
  const params = { ...windowParams(g, slot), ...chunkLayout(g.planes, Math.ceil(g.h / rows) * (g.w / (4 * v))) };
  const constants = { V: v, ROWS: rows, RY: ry, RX: rx };
  const spec = fastPoolSpec('maxpool2d', 'backward_1_vec4', maxpool2dBackward.bindings, FAST_PARAMS, constants);
  gpu.run(spec, params, [idx, dy, dx]);
}
