/**
 * concatPool2d(inputs) = concat([pool_0(x_0), pool_1(x_1), ...]) along channels, as torch.cat of max_pool2d /
 * avg_pool2d outputs, without the copies (op concat_pool2d): each pool writes straight into its channel slot of y,
 * and the backward runs each pool's backward reading its slot of dy. An input may also fuse the batch norm + ReLU
 * before its pool: the pool then reads relu(batchnorm2d(x)) tap by tap from x and the batch statistics, so the
 * normalised map is never written; its backward is batchnorm2d_relu's on the pool's input gradient, which for
 * pools with disjoint windows (CNN-X's 2 wide every 3) the batch norm passes gather from the pool's gradient, so
 * that map is never written either. On a software device in training the pool's forward also records, per window,
 * what the batch norm's backward sums need, so they read neither x nor the argmax (windowSumsWanted).
 * CNN-X's branches end in batch norm, ReLU, pool and concat; as separate ops the normalised maps were written and
 * read back, and the pooled maps copied into the concatenation and their gradients copied back out.
 * Values and gradients are those of batchnorm2dRelu, maxpool2d / avgpool2d and concat (the same kernels and
 * conventions). Tensors over one storage binding are pooled in batch slices (src/kernels/batch_slices.ts).
 */
import { runAvgpool2dBackward, runAvgpool2dForward } from '../../kernels/avgpool2d.js';
import { pooledGradientApplies, type PooledGradient } from '../../kernels/batchnorm2d.js';
import { forEachBatchSlice } from '../../kernels/batch_slices.js';
import { runMaxpool2dBackward, runMaxpool2dForward } from '../../kernels/maxpool2d.js';
import {
  choosePoolForwardVariant, poolGeometry, type ChannelSlot, type Pool2dGeometry,
} from '../../kernels/pool_geometry.js';
import { needsGrad, record } from '../tape.js';
import { Tensor, type Shape } from '../tensor.js';
import { avgpool2dDivisor, type Avgpool2dOptions, type Avgpool2dSaved } from './avgpool2d.js';
import {
  batchnorm2dReluBackward,
  batchnorm2dStats,
  type BatchStatsPartials,
  type Batchnorm2dOptions,
  type Batchnorm2dSaved,
  type Batchnorm2dState,
} from './batchnorm2d.js';
import type { Maxpool2dOptions } from './maxpool2d.js';

/** Which pool one input goes through, with the options the standalone op takes. */
export type Pool2dSpec =
  | { op: 'maxpool2d'; options: Maxpool2dOptions }
  | { op: 'avgpool2d'; options: Avgpool2dOptions };

export interface ConcatPool2dInput {
  x: Tensor;
  pool: Pool2dSpec;
  /**
   * Pool relu(batchnorm2d(x, state, options)) instead of x, as batchnorm2dRelu takes its arguments; in training mode
   * with x's batch statistics partials when the op that made x wrote them (conv2dWithBatchStats).
   */
  bnRelu?: { state: Batchnorm2dState; options: Batchnorm2dOptions; partials?: BatchStatsPartials };
}

/** One input's pool: its geometry, and the maxima's positions (max) or the divisor rule (avg). */
type PoolPart =
  | { op: 'maxpool2d'; geometry: Pool2dGeometry; indices: Tensor }
  | ({ op: 'avgpool2d' } & Avgpool2dSaved);

interface Part {
  pool: PoolPart;
  slot: ChannelSlot;
  xShape: Shape;
  /** The fused batch norm's saved x and statistics, or null. */
  bn: Batchnorm2dSaved | null;
  /** What the pool's forward recorded per window for the batch norm's backward reduce (windowSumsWanted), or null. */
  sums: Tensor | null;
  /** Where this input's recorded inputs start: x, then (with a fused batch norm) its weight and bias. */
  first: number;
}

export interface ConcatPool2dSaved {
  parts: Part[];
}

export function concatPool2d(inputs: readonly ConcatPool2dInput[]): Tensor {
  if (inputs.length === 0) throw new RangeError('concatPool2d: no inputs');
  const geometries = inputs.map(({ x, pool }) =>
    pool.op === 'maxpool2d'
      ? poolGeometry('maxpool2d', x.shape, { ...pool.options, dilation: pool.options.dilation ?? 1 })
      : poolGeometry('avgpool2d', x.shape, pool.options));
  const first = geometries[0]!;
  if (geometries.some((g) => g.n !== first.n || g.oh !== first.oh || g.ow !== first.ow)) {
    const outs = geometries.map((g) => `[${g.n}, ${g.c}, ${g.oh}, ${g.ow}]`).join(', ');
    throw new RangeError(`concatPool2d: pooled shapes ${outs} differ outside the channel dim`);
  }
  const cy = geometries.reduce((sum, g) => sum + g.c, 0);
  const gpu = inputs[0]!.x.gpu;
  const y = Tensor.empty(gpu, [first.n, cy, first.oh, first.ow], 'concat_pool2d.forward:y');
  const parts: Part[] = [];
  const recorded: (Tensor | null)[] = [];
  let offset = 0;
  for (const [i, { x, pool, bnRelu }] of inputs.entries()) {
    const g = geometries[i]!;
    const slot = { cy, offset };
    offset += g.c;
    const stats = bnRelu ? batchnorm2dStats(x, bnRelu.state, bnRelu.options, bnRelu.partials) : null;
    const sums = stats && windowSumsWanted(inputs[i]!, g, y) ?
      Tensor.empty(gpu, [g.n, g.c, g.oh, g.ow, 2], 'concat_pool2d.forward:sums') : null;
    const fusion = {
      slot, ...(stats ? { bnReluStats: stats.buffer } : {}), ...(sums ? { windowSums: sums.buffer } : {}),
    };
    const xOperand = { buffer: x.buffer, sampleBytes: 4 * g.c * g.h * g.w, access: 'read', role: 'x' } as const;
    // 'readwrite': a pool writes only its channels of each sample, so a scratch copy must carry the others through.
    const yOperand = { buffer: y.buffer, sampleBytes: 4 * cy * g.oh * g.ow, access: 'readwrite', role: 'y' } as const;
    let poolPart: PoolPart;
    if (pool.op === 'maxpool2d') {
      const indices = Tensor.empty(gpu, [g.n, g.c, g.oh, g.ow], 'concat_pool2d.forward:idx');
      const idx = { buffer: indices.buffer, sampleBytes: 4 * g.c * g.oh * g.ow, access: 'write', role: 'idx' } as const;
      forEachBatchSlice(gpu, 'maxpool2d.forward', g.n, [xOperand, yOperand, idx], (count, [xb, yb, ib]) =>
        runMaxpool2dForward(gpu, xb!, yb!, ib!, sliceOf(g, count), undefined, fusion));
      poolPart = { op: 'maxpool2d', geometry: g, indices };
    } else {
      const divisor = avgpool2dDivisor(pool.options);
      forEachBatchSlice(gpu, 'avgpool2d.forward', g.n, [xOperand, yOperand], (count, [xb, yb]) =>
        runAvgpool2dForward(gpu, xb!, yb!, sliceOf(g, count), divisor, undefined, fusion));
      poolPart = { op: 'avgpool2d', geometry: g, divisor, xShape: x.shape };
    }
    const bn = stats ? { x, stats, training: bnRelu!.options.training } : null;
    parts.push({ pool: poolPart, slot, xShape: x.shape, bn, sums, first: recorded.length });
    recorded.push(x, ...(bnRelu ? [bnRelu.state.weight, bnRelu.state.bias] : []));
  }
  record('concat_pool2d', recorded, y, (save) => ({
    parts: parts.map((part) => ({
      ...part,
      pool: part.pool.op === 'maxpool2d' ? { ...part.pool, indices: save(part.pool.indices) } : part.pool,
      bn: part.bn ? { ...part.bn, x: save(part.bn.x), stats: save(part.bn.stats) } : null,
      sums: part.sums ? save(part.sums) : null,
    })),
  }));
  for (const part of parts) {
    if (part.pool.op === 'maxpool2d') part.pool.indices.dispose();
    part.bn?.stats.dispose();
    part.sums?.dispose();
  }
  return y;
}

export function concatPool2dBackward(
  saved: ConcatPool2dSaved,
  dy: Tensor,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const grads: (Tensor | null)[] = needs.map(() => null);
  for (const part of saved.parts) {
    const wanted = needs.slice(part.first, part.first + (part.bn ? 3 : 1));
    if (!wanted.some(Boolean)) continue;
    if (!part.bn) {
      grads[part.first] = poolBackward(part, dy);
      continue;
    }
    const dz = pooledGradient(part, dy) ?? poolBackward(part, dy);
    batchnorm2dReluBackward(part.bn, dz, wanted).forEach((grad, k) => (grads[part.first + k] = grad));
    if (dz instanceof Tensor) dz.dispose();
  }
  return grads;
}

/**
 * The pool's gradient as the fused batch norm's backward passes can gather it (the pool's input gradient is then
 * never written), or null where they do not handle the pool or the shapes (then poolBackward runs first).
 */
function pooledGradient({ pool, slot, xShape, sums }: Part, dy: Tensor): PooledGradient | null {
  const g = pool.geometry;
  const [n, c, h, w] = xShape as [number, number, number, number];
  const maxBinding = dy.gpu.limits.maxStorageBufferBindingSize;
  if (!pooledGradientApplies({ n, c, hw: h * w }, g, 4 * dy.size, maxBinding)) return null;
  const divisor = pool.op === 'avgpool2d' ? pool.divisor.divisorOverride || g.kh * g.kw : 1;
  const idx = pool.op === 'maxpool2d' ? pool.indices.buffer : null;
  return { dy: dy.buffer, cy: slot.cy, offset: slot.offset, idx, divisor, pool: g, sums: sums?.buffer ?? null };
}

/**
 * Whether the pool's forward records per window what the fused batch norm's backward reduce needs (the ReLU's kept
 * taps and the sum of their x - mean), so the reduce reads those and the pool's gradient instead of all of x: on a
 * software device, for a training-mode batch norm whose gradient will be taken, where the pooled backward passes
 * apply and the pool runs its 'unrolled' forward (the one that records them). Lavapipe, CNN-X at batch 15: see
 * docs/speed.md.
 */
function windowSumsWanted({ x, pool, bnRelu }: ConcatPool2dInput, g: Pool2dGeometry, y: Tensor): boolean {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const gradient = needsGrad([x, bnRelu!.state.weight, bnRelu!.state.bias]);
  const maxBinding = x.gpu.limits.maxStorageBufferBindingSize;
  return x.gpu.isSoftware && bnRelu!.options.training && gradient &&
    choosePoolForwardVariant(g, pool.op, x.gpu) === 'unrolled' && 8 * n * c * g.oh * g.ow <= maxBinding &&
    pooledGradientApplies({ n, c, hw: h * w }, g, 4 * y.size, maxBinding);
}

/** The gradient of one pool's input from its slot of dy. */
function poolBackward({ pool, slot, xShape }: Part, dy: Tensor): Tensor {
  const gpu = dy.gpu;
  const g = pool.geometry;
  const dx = Tensor.empty(gpu, xShape, `${pool.op}.backward:dx`);
  const plane = g.oh * g.ow;
  const dyOperand = { buffer: dy.buffer, sampleBytes: 4 * slot.cy * plane, access: 'read', role: 'dy' } as const;
  const dxOperand = { buffer: dx.buffer, sampleBytes: 4 * g.c * g.h * g.w, access: 'write', role: 'dx' } as const;
  if (pool.op === 'maxpool2d') {
    const idx = { buffer: pool.indices.buffer, sampleBytes: 4 * g.c * plane, access: 'read', role: 'idx' } as const;
    forEachBatchSlice(gpu, 'maxpool2d.backward', g.n, [idx, dyOperand, dxOperand], (count, [ib, dyb, dxb]) =>
      runMaxpool2dBackward(gpu, ib!, dyb!, dxb!, sliceOf(g, count), undefined, slot));
  } else {
    forEachBatchSlice(gpu, 'avgpool2d.backward', g.n, [dyOperand, dxOperand], (count, [dyb, dxb]) =>
      runAvgpool2dBackward(gpu, dyb!, dxb!, sliceOf(g, count), pool.divisor, undefined, slot));
  }
  return dx;
}

/** The geometry of `count` samples of the batch. */
function sliceOf(g: Pool2dGeometry, count: number): Pool2dGeometry {
  return { ...g, n: count, planes: count * g.c };
}
