/**
 * avgpool2d: window sums over PyTorch's divisor (override, count_include_pad or real elements); the backward
 * gathers dy / divisor over the windows containing each input element. Numbered variants (forward_1_unrolled,
 * backward_1_vec4) compute the same values faster on lavapipe; the direct kernels handle every geometry.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid } from './kernel.js';
import { ELEMENTWISE_WG } from './elementwise.js';
import {
  CHUNK_PARAMS,
  WINDOW_PARAMS,
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
    { name: 'stats', access: 'read' },
  ],
  params: PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.oh * p.ow) / ELEMENTWISE_WG), maxPerDim),
});

/** The forward of relu(batchnorm2d(x)) (override BN_RELU = 1). */
export const avgpool2dForwardBnRelu = defineKernel({
  ...avgpool2dForward,
  name: 'avgpool2d.forward_bn_relu',
  constants: { BN_RELU: 1 },
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

function params(g: Pool2dGeometry, d: AvgDivisor, slot: ChannelSlot | undefined) {
  return { ...windowParams(g, slot), countIncludePad: d.countIncludePad ? 1 : 0, divisorOverride: d.divisorOverride };
}

/**
 * y is [N, C, oh, ow], or the channels `fusion.slot` names of a wider output; with `fusion.bnReluStats` the pool
 * reads relu(batchnorm2d(x)). `variant` defaults to choosePoolForwardVariant's.
 */
export function runAvgpool2dForward(gpu: Gpu, x: Binding, y: Binding, g: Pool2dGeometry, d: AvgDivisor,
  variant: PoolForwardVariant = choosePoolForwardVariant(g, 'avgpool2d', gpu), fusion: PoolForwardFusion = {}): void {
  const bnRelu = fusion.bnReluStats !== undefined;
  checkWindowSums('avgpool2d', fusion, variant);
  // Without the fused batch norm the stats binding still needs a buffer; the shader never reads it.
  const buffers = [x, y, fusion.bnReluStats ?? x];
  if (variant === 'direct') {
    gpu.run(bnRelu ? avgpool2dForwardBnRelu : avgpool2dForward, params(g, d, fusion.slot), buffers);
    return;
  }
  checkPoolVariant('avgpool2d', variant, poolForwardVariants(g, 'avgpool2d'));
  const { sums, scratch, SUMS } = windowSumsBinding(gpu, fusion);
  const constants = { KH: g.kh, KW: g.kw, BN_RELU: bnRelu ? 1 : 0, SUMS };
  const bindings = [...avgpool2dForward.bindings, { name: 'sums', access: 'read_write' } as const];
  const spec = fastPoolSpec('avgpool2d', 'forward_1_unrolled', bindings, FAST_PARAMS, constants,
    (bnRelu ? '_bn_relu' : '') + (SUMS ? '_sums' : ''));
  gpu.run(spec, { ...params(g, d, fusion.slot), ...chunkLayout(g.planes, g.oh * g.ow) }, [...buffers, sums]);
  if (scratch) gpu.free(scratch);
}

/** dy is [N, C, oh, ow], or the channels `slot` names of a wider gradient (as the forward's y). */
export function runAvgpool2dBackward(gpu: Gpu, dy: Binding, dx: Binding, g: Pool2dGeometry, d: AvgDivisor,
  variant: PoolBackwardVariant = choosePoolBackwardVariant(g, gpu), slot?: ChannelSlot): void {
  if (variant === 'direct') {
    gpu.run(avgpool2dBackward, params(g, d, slot), [dy, dx]);
    return;
  }
  checkPoolVariant('avgpool2d', variant, poolBackwardVariants(g));
  const rows = poolBackwardRows(g);
  const { v, ry, rx } = vec4Unroll(g, rows);
  const constants = { V: v, ROWS: rows, RY: ry, RX: rx };
  const spec = fastPoolSpec('avgpool2d', 'backward_1_vec4', avgpool2dBackward.bindings, FAST_PARAMS, constants);
  gpu.run(spec, { ...params(g, d, slot), ...chunkLayout(g.planes, Math.ceil(g.h / rows) * (g.w / (4 * v))) }, [dy, dx]);
}
