/**
 * batchnorm2d over NCHW f32: per-channel statistics by parallel partial reductions over plane chunks with a small
 * deterministic per-channel merge, the in-place running-statistics update, the normalisation, and the backward
 * (sums, then dx). Per-channel values travel in small row buffers: `stats` [5, C] (mean, var, invstd, scale, beta)
 * and `coef` [5, C] (mean, k_dy, k_x, k_0, beta). The normalize and backward passes also come fused with a ReLU
 * (batchnorm2d_relu): the override constant RELU = 1 makes normalize write max(y, 0) and the backward passes mask dy
 * by y_pre = (x - mean) * scale + beta > 0, recomputed from x and the per-channel rows rather than saved.
 * Tensors over one storage binding stream in batch slices (batch_slices.ts); the partials of every slice land in the
 * one buffer the finalize pass merges, so statistics and sums are those of the unsliced passes.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { runInBatchSlices, type BatchOperand } from './batch_slices.js';
import { fill } from './fill.js';
import type { Pool2dGeometry } from './pool_geometry.js';
import { defineKernel, linearGrid, type BindingSpec, type KernelSpec, type ParamType } from './kernel.js';

/** Rows of the stats buffer: mean, var (biased), invstd, scale = w * invstd, beta = b (0 without bias). */
export const STATS_ROWS = 5;
/** Rows of the backward coefficient buffer: mean, k_dy, k_x, k_0, beta (for the fused ReLU's mask). */
export const COEF_ROWS = 5;

/**
 * lavapipe runs each batch of 8 invocations as a coroutine and turns every storage access into a gather or
 * per-lane store: wide workgroups (256) cost several microseconds each even when idle, and a 256-wide tree with a
 * barrier per level is ~10x slower than 16 invocations with one barrier. So the streaming passes use 16-wide
 * workgroups looping over a chunk of up to CHUNK floats of one plane, and vec4 accesses when H*W allows. A hardware
 * GPU runs 32 lanes at a time: there 16-wide workgroups left half of every warp idle and each thread walked 64 vec4s
 * one load after another (an H100 read CNN-X's batch statistics at 1 TB/s of its 2.8), so its workgroups are 64
 * wide with 16 items each: the same chunks, so the same partial sums to finalize.
 */
const PLANE_WG = { software: 16, hardware: 64 };
/** Floats of one plane that one workgroup of a streaming pass covers at most. */
export const CHUNK = 4096;
/**
 * Threads of the per-channel finalize passes (a power of two: their trees halve it). One workgroup per channel, so
 * CNN-X's 16-channel batch norms are 16 workgroups: on a hardware GPU, 256 threads each merge fewer partials in a row
 * (forward_7_patch_stats hands over ~100 chunks per plane). On a software device a workgroup's barriers cost more
 * than the merges: with 8 threads (one lavapipe subgroup) instead of 64, a ResNet-50 training step's 106 finalize
 * passes at batch 4 took 29 ms instead of 74 (CNN-X's eight, with hundreds of partials a channel, 1.9 -> 2.5 ms).
 */
const FINALIZE_WG = { software: 8, hardware: 256 };
const CHANNEL_WG = 64;

/** 'scalar' handles any H*W; 'vec4' needs H*W % 4 == 0 and reads and writes 4 floats per access. */
export type Batchnorm2dVariant = 'scalar' | 'vec4';

/** The variants, for tests and benchmarks that force one. */
export const BATCHNORM2D_VARIANTS: readonly Batchnorm2dVariant[] = ['scalar', 'vec4'];

const PLANE_PARAMS = [['hw', 'u32'], ['c', 'u32'], ['items', 'u32'], ['chunks', 'u32'], ['groups', 'u32']] as const;

const groupsGrid = (p: { groups: number }, maxPerDim: number) => linearGrid(p.groups, maxPerDim);
const channelGroupsGrid = (p: { c: number }, maxPerDim: number) => linearGrid(p.c, maxPerDim);
const channelThreadsGrid = (p: { c: number }, maxPerDim: number) => linearGrid(Math.ceil(p.c / CHANNEL_WG), maxPerDim);

/**
 * The descriptors of a streaming pass over planes: the scalar one, and the vec4 one named `<pass>_1_vec4`; `relu`
 * specialises the pass for batchnorm2d_relu (override RELU = 1) under the name `<pass>_relu[_1_vec4]`.
 */
function planePass(
  name: string,
  shader: string,
  bindings: readonly BindingSpec[],
  relu = false,
  params: readonly (readonly [string, ParamType])[] = PLANE_PARAMS,
) {
  const base = relu ? `${name}_relu` : name;
  const spec = (variant: Batchnorm2dVariant, wg: number) =>
    defineKernel({
      name: variant === 'vec4' ? `${base}_1_vec4` : base,
      shader: variant === 'vec4' ? `${shader}_1_vec4` : shader,
      bindings,
      params,
      workgroupSize: [wg, 1, 1],
      grid: (p, max) => groupsGrid({ groups: p.groups! }, max),
      ...(relu ? { constants: { RELU: 1 } } : {}),
    });
  const specs = {
    software: { scalar: spec('scalar', PLANE_WG.software), vec4: spec('vec4', PLANE_WG.software) },
    hardware: { scalar: spec('scalar', PLANE_WG.hardware), vec4: spec('vec4', PLANE_WG.hardware) },
  };
  return (gpu: Gpu, variant: Batchnorm2dVariant): KernelSpec => specs[deviceKind(gpu)][variant];
}

/** Which plane layout a device gets (PLANE_WG). */
function deviceKind(gpu: Gpu): 'software' | 'hardware' {
  return gpu.isSoftware ? 'software' : 'hardware';
}

export const batchnorm2dStatsPartial = planePass('batchnorm2d.stats_partial', 'batchnorm2d/stats_partial', [
  { name: 'x', access: 'read' },
  { name: 'part', access: 'read_write' },
]);

const statsFinalize = (wg: number) => defineKernel({
  name: 'batchnorm2d.stats_finalize',
  shader: 'batchnorm2d/stats_finalize',
  bindings: [
    { name: 'part', access: 'read' },
    { name: 'w', access: 'read' },
    { name: 'b', access: 'read' },
    { name: 'stats', access: 'read_write' },
    { name: 'rm', access: 'read_write' },
    { name: 'rv', access: 'read_write' },
  ],
  params: [
    ['c', 'u32'], ['chunks', 'u32'], ['partials', 'u32'], ['eps', 'f32'], ['hasWeight', 'u32'], ['hasBias', 'u32'],
    ['track', 'u32'], ['momentum', 'f32'], ['unbias', 'f32'],
  ],
  workgroupSize: [wg, 1, 1],
  grid: channelGroupsGrid,
});
const batchnorm2dStatsFinalize = {
  software: statsFinalize(FINALIZE_WG.software),
  hardware: statsFinalize(FINALIZE_WG.hardware),
};

export const batchnorm2dStatsRunning = defineKernel({
  name: 'batchnorm2d.stats_running',
  shader: 'batchnorm2d/stats_running',
  bindings: [
    { name: 'rm', access: 'read' },
    { name: 'rv', access: 'read' },
    { name: 'w', access: 'read' },
    { name: 'b', access: 'read' },
    { name: 'stats', access: 'read_write' },
  ],
  params: [['c', 'u32'], ['eps', 'f32'], ['hasWeight', 'u32'], ['hasBias', 'u32']],
  workgroupSize: [CHANNEL_WG, 1, 1],
  grid: channelThreadsGrid,
});

const NORMALIZE_BINDINGS: readonly BindingSpec[] = [
  { name: 'x', access: 'read' },
  { name: 'y', access: 'read_write' },
  { name: 'stats', access: 'read' },
];
const normalize = (relu: boolean) =>
  planePass('batchnorm2d.normalize', 'batchnorm2d/normalize', NORMALIZE_BINDINGS, relu);
export const batchnorm2dNormalize = normalize(false);
export const batchnorm2dNormalizeRelu = normalize(true);

const NORMALIZE_RUNNING_BINDINGS: readonly BindingSpec[] = [
  { name: 'x', access: 'read' },
  { name: 'y', access: 'read_write' },
  { name: 'rm', access: 'read' },
  { name: 'rv', access: 'read' },
  { name: 'w', access: 'read' },
  { name: 'b', access: 'read' },
];
const NORMALIZE_RUNNING_PARAMS = [...PLANE_PARAMS, ['eps', 'f32'], ['hasWeight', 'u32'], ['hasBias', 'u32']] as const;
const normalizeRunning = (relu: boolean) =>
  planePass('batchnorm2d.normalize_running', 'batchnorm2d/normalize_running', NORMALIZE_RUNNING_BINDINGS, relu,
    NORMALIZE_RUNNING_PARAMS);
const batchnorm2dNormalizeRunning = normalizeRunning(false);
const batchnorm2dNormalizeRunningRelu = normalizeRunning(true);

const BACKWARD_REDUCE_BINDINGS: readonly BindingSpec[] = [
  { name: 'x', access: 'read' },
  { name: 'dy', access: 'read' },
  { name: 'stats', access: 'read' },
  { name: 'part', access: 'read_write' },
];
const backwardReduce = (relu: boolean) =>
  planePass('batchnorm2d.backward_reduce', 'batchnorm2d/backward_reduce', BACKWARD_REDUCE_BINDINGS, relu);
export const batchnorm2dBackwardReduce = backwardReduce(false);
export const batchnorm2dBackwardReduceRelu = backwardReduce(true);

const backwardFinalize = (wg: number) => defineKernel({
  name: 'batchnorm2d.backward_finalize',
  shader: 'batchnorm2d/backward_finalize',
  bindings: [
    { name: 'part', access: 'read' },
    { name: 'stats', access: 'read' },
    { name: 'coef', access: 'read_write' },
    { name: 'dw', access: 'read_write' },
    { name: 'db', access: 'read_write' },
  ],
  params: [['c', 'u32'], ['chunks', 'u32'], ['partials', 'u32'], ['count', 'f32'], ['training', 'u32']],
  workgroupSize: [wg, 1, 1],
  grid: channelGroupsGrid,
});
const batchnorm2dBackwardFinalize = {
  software: backwardFinalize(FINALIZE_WG.software),
  hardware: backwardFinalize(FINALIZE_WG.hardware),
};

const BACKWARD_INPUT_BINDINGS: readonly BindingSpec[] = [
  { name: 'x', access: 'read' },
  { name: 'dy', access: 'read' },
  { name: 'coef', access: 'read' },
  { name: 'dx', access: 'read_write' },
];
const backwardInput = (relu: boolean) =>
  planePass('batchnorm2d.backward_input', 'batchnorm2d/backward_input', BACKWARD_INPUT_BINDINGS, relu);
export const batchnorm2dBackwardInput = backwardInput(false);
export const batchnorm2dBackwardInputRelu = backwardInput(true);

/**
 * The output gradient of a batch norm + ReLU that only a pool reads, given as the pool's gradient: the pooled
 * variants of the backward passes gather dy from it (shaders/batchnorm2d/pooled_dy.wgsl) instead of reading a
 * materialised map. For pools whose windows do not overlap and lie inside the input (pooledGradientApplies).
 */
export interface PooledGradient {
  /** [N, cy, oh, ow]; the pool's gradient is channels [offset, offset + C). */
  dy: GPUBuffer;
  cy: number;
  offset: number;
  /** Max pooling's argmax of each window, [N, C, oh, ow] as iy * W + ix; null for average pooling. */
  idx: GPUBuffer | null;
  /** Average pooling's divisor (unused with idx). */
  divisor: number;
  /**
   * What the pool's forward recorded per window for the reduce ([N, C, oh, ow] vec2s, PoolForwardFusion.windowSums),
   * or null: the reduce then reads x.
   */
  sums: GPUBuffer | null;
  /** The pool (its input width, output size, kernel and stride are what the passes read). */
  pool: Pool2dGeometry;
}

const POOLED_PARAMS = [...PLANE_PARAMS, ['oh', 'u32'], ['ow', 'u32'], ['cy', 'u32'], ['offset', 'u32'], ['divisor', 'f32']] as const;

/**
 * A backward pass that gathers dy through a max (idx) or average pool: `read` and `last` are its coefficient and
 * output bindings. One pipeline per pool shape (its width, kernel and stride are override constants).
 */
function pooledPass(name: string, shader: string, read: BindingSpec, last: BindingSpec) {
  const specs = new Map<string, KernelSpec>();
  return (gpu: Gpu, pooled: PooledGradient): KernelSpec => {
    const max = pooled.idx !== null;
    const { w, kh, kw, sh, sw } = pooled.pool;
    const constants = { RELU: 1, MAX: max ? 1 : 0, W: w, KH: kh, KW: kw, SH: sh, SW: sw };
    const wg = PLANE_WG[deviceKind(gpu)];
    const key = `${Object.values(constants).join()},${wg}`;
    let spec = specs.get(key);
    if (!spec) {
      spec = defineKernel({
        name: `${name}_${max ? 'max' : 'avg'}`,
        shader,
        bindings: [{ name: 'x', access: 'read' }, { name: 'pdy', access: 'read' }, { name: 'idx', access: 'read' }, read, last],
        params: POOLED_PARAMS,
        workgroupSize: [wg, 1, 1],
        grid: groupsGrid,
        constants,
      });
      specs.set(key, spec);
    }
    return spec;
  };
}

const batchnorm2dBackwardReducePooled = pooledPass('batchnorm2d.backward_reduce_pooled', 'batchnorm2d/backward_reduce_pooled',
  { name: 'stats', access: 'read' }, { name: 'part', access: 'read_write' });
const batchnorm2dBackwardInputPooled = pooledPass('batchnorm2d.backward_input_pooled', 'batchnorm2d/backward_input_pooled',
  { name: 'coef', access: 'read' }, { name: 'dx', access: 'read_write' });

/**
 * backward_reduce_pooled's sums for a max pool, walked over the windows: one gathered x a window (its argmax) instead
 * of every x of the plane. Software devices only, where it was measured (CNN-X's two max-pool branches, batch 15).
 */
const batchnorm2dBackwardReduceArgmax = defineKernel({
  name: 'batchnorm2d.backward_reduce_argmax',
  shader: 'batchnorm2d/backward_reduce_argmax',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'pdy', access: 'read' },
    { name: 'idx', access: 'read' },
    { name: 'stats', access: 'read' },
    { name: 'part', access: 'read_write' },
  ],
  params: [...PLANE_PARAMS, ['ohw', 'u32'], ['cy', 'u32'], ['offset', 'u32']],
  workgroupSize: [PLANE_WG.software, 1, 1],
  grid: groupsGrid,
});

/**
 * backward_reduce_pooled's sums from the pool forward's window sums: neither x nor the argmax is read (lavapipe,
 * CNN-X's branches at batch 15: see the shader and docs/speed.md).
 */
const batchnorm2dBackwardReduceWindows = defineKernel({
  name: 'batchnorm2d.backward_reduce_windows',
  shader: 'batchnorm2d/backward_reduce_windows',
  bindings: [
    { name: 'pdy', access: 'read' },
    { name: 'sums', access: 'read' },
    { name: 'part', access: 'read_write' },
  ],
  params: [...PLANE_PARAMS, ['ohw', 'u32'], ['cy', 'u32'], ['offset', 'u32'], ['divisor', 'f32']],
  workgroupSize: [PLANE_WG.software, 1, 1],
  grid: groupsGrid,
});

/** backward_reduce_argmax's chunks: its planes of windows chunked as a streaming pass chunks planes of floats. */
function windowLayout(gpu: Gpu, s: Batchnorm2dShape, ohw: number) {
  return { ...planeLayout(gpu, { ...s, hw: ohw }, 'scalar'), hw: s.hw, ohw };
}

/**
 * Whether the pooled passes handle this batch norm and pool: rows of a multiple of 4 (a vec4 lies in one row), a pool
 * whose windows do not overlap and lie inside the input (no padding, dilation 1), and every operand within one
 * storage binding (they run unsliced).
 */
export function pooledGradientApplies(
  s: Batchnorm2dShape,
  pool: Pool2dGeometry,
  dyBytes: number,
  maxBindingBytes: number,
): boolean {
  const inside = (pool.oh - 1) * pool.sh + pool.kh <= pool.h && (pool.ow - 1) * pool.sw + pool.kw <= pool.w;
  const disjoint = pool.kh <= pool.sh && pool.kw <= pool.sw && pool.dh === 1 && pool.dw === 1;
  const fits = Math.max(4 * s.n * s.c * s.hw, dyBytes) <= maxBindingBytes;
  return pool.w % 4 === 0 && pool.ph === 0 && pool.pw === 0 && inside && disjoint && fits;
}

function pooledParams(gpu: Gpu, s: Batchnorm2dShape, pooled: PooledGradient) {
  const { cy, offset, divisor } = pooled;
  return { ...planeLayout(gpu, s, 'vec4'), oh: pooled.pool.oh, ow: pooled.pool.ow, cy, offset, divisor };
}

/** The x-shaped operand, the pool's gradient and its argmax as exact bindings (pooled buffers may be larger). */
function pooledBindings(x: GPUBuffer, s: Batchnorm2dShape, pooled: PooledGradient): Binding[] {
  const exact = (buffer: GPUBuffer, floats: number): Binding => ({ buffer, offset: 0, size: 4 * floats });
  const plane = pooled.pool.oh * pooled.pool.ow;
  const pdy = exact(pooled.dy, s.n * pooled.cy * plane);
  return [exact(x, s.n * s.c * s.hw), pdy, pooled.idx ? exact(pooled.idx, s.n * s.c * plane) : pdy];
}

/** x is [n, c, H, W] with hw = H * W. */
export interface Batchnorm2dShape {
  n: number;
  c: number;
  hw: number;
}

/** The fastest variant that applies to this shape. */
export function batchnorm2dVariant(s: Batchnorm2dShape): Batchnorm2dVariant {
  return s.hw % 4 === 0 ? 'vec4' : 'scalar';
}

/** Params of a streaming pass: each workgroup takes `items` elements (floats or vec4s) per thread of one plane. */
function planeLayout(gpu: Gpu, s: Batchnorm2dShape, variant: Batchnorm2dVariant) {
  if (variant === 'vec4' && s.hw % 4 !== 0) {
    throw new RangeError(`batchnorm2d: the vec4 variant needs H*W divisible by 4, got ${s.hw}`);
  }
  const width = variant === 'vec4' ? 4 : 1;
  const hw = s.hw / width;
  const wg = PLANE_WG[deviceKind(gpu)];
  const items = Math.max(1, Math.min(CHUNK / width / wg, Math.ceil(hw / wg)));
  const chunks = Math.max(1, Math.ceil(hw / (wg * items)));
  return { hw, c: s.c, items, chunks, groups: s.n * s.c * chunks };
}

/** An x-shaped tensor as an operand the streaming passes slice by batch. */
function planes(buffer: GPUBuffer, s: Batchnorm2dShape, access: BatchOperand['access'], role: string): BatchOperand {
  return { buffer, sampleBytes: 4 * s.c * s.hw, access, role };
}

/** A scratch buffer of partials for one reduction, NaN-filled when the device poisons outputs. */
function scratch(gpu: Gpu, floats: number, label: string): GPUBuffer {
  const buffer = gpu.alloc(Math.max(16, floats * 4), label);
  if (gpu.poison) fill(gpu, buffer, floats, NaN);
  return buffer;
}

/** The running statistics a training-mode forward updates in place, and the weight of the new batch. */
export interface RunningUpdate {
  rm: GPUBuffer;
  rv: GPUBuffer;
  momentum: number;
}

/**
 * Training mode: batch mean and biased variance of x per channel into `stats` (plus invstd, scale, beta); with
 * `running`, the running statistics updated in the same pass (PyTorch's momentum rule, unbiased variance); with
 * `partials`, x is not read: the partials another pass wrote are merged.
 */
export function runBatchnorm2dBatchStats(
  gpu: Gpu,
  x: GPUBuffer,
  w: GPUBuffer | null,
  b: GPUBuffer | null,
  stats: GPUBuffer,
  s: Batchnorm2dShape,
  eps: number,
  variant = batchnorm2dVariant(s),
  running: RunningUpdate | null = null,
  partials: BatchStatsPartials | null = null,
): void {
  let part: GPUBuffer;
  let chunks: number;
  if (partials) {
    ({ part, chunks } = partials);
  } else {
    const layout = planeLayout(gpu, s, variant);
    ({ chunks } = layout);
    part = scratch(gpu, 4 * layout.groups, 'batchnorm2d.stats_partial:part');
    runInBatchSlices(gpu, batchnorm2dStatsPartial(gpu, variant), s.n, (n) => planeLayout(gpu, { ...s, n }, variant), [
      planes(x, s, 'read', 'x'),
      { buffer: part, sampleBytes: 16 * s.c * layout.chunks, access: 'write', role: 'part' },
    ]);
  }
  const count = s.n * s.hw;
  const track = running ? { track: 1, momentum: running.momentum, unbias: count / (count - 1) } : { track: 0, momentum: 0, unbias: 1 };
  // Without running statistics the shader never touches rm and rv, but writable bindings may not alias: two spares.
  const spare = running ? null : [gpu.alloc(4 * s.c, 'batchnorm2d.stats_finalize:rm'), gpu.alloc(4 * s.c, 'batchnorm2d.stats_finalize:rv')];
  gpu.run(
    batchnorm2dStatsFinalize[deviceKind(gpu)],
    { c: s.c, chunks, partials: s.n * chunks, eps, hasWeight: w ? 1 : 0, hasBias: b ? 1 : 0, ...track },
    [part, w ?? part, b ?? part, stats, running?.rm ?? spare![0]!, running?.rv ?? spare![1]!],
  );
  spare?.forEach((buffer) => gpu.free(buffer));
  if (!partials) gpu.free(part);
}

/**
 * Batch statistics partials of x that another pass wrote on the way (conv2d's forward_7_patch_stats and
 * forward_6_depthwise_multi_stats): (count, mean, M2) per sample, channel and chunk of the plane, at index
 * (n * C + c) * chunks + chunk, as stats_partial writes them. runBatchnorm2dBatchStats then only merges them.
 */
export interface BatchStatsPartials {
  part: GPUBuffer;
  chunks: number;
}

/** Eval mode: `stats` from the running mean and variance. */
export function runBatchnorm2dRunningStats(
  gpu: Gpu,
  rm: GPUBuffer,
  rv: GPUBuffer,
  w: GPUBuffer | null,
  b: GPUBuffer | null,
  stats: GPUBuffer,
  c: number,
  eps: number,
): void {
  const params = { c, eps, hasWeight: w ? 1 : 0, hasBias: b ? 1 : 0 };
  gpu.run(batchnorm2dStatsRunning, params, [rm, rv, w ?? rm, b ?? rm, stats]);
}

/** y = (x - mean) * scale + beta, or max(that, 0) with `relu` (batchnorm2d_relu). */
export function runBatchnorm2dNormalize(
  gpu: Gpu,
  x: GPUBuffer,
  stats: GPUBuffer,
  y: GPUBuffer,
  s: Batchnorm2dShape,
  variant = batchnorm2dVariant(s),
  relu = false,
): void {
  const spec = (relu ? batchnorm2dNormalizeRelu : batchnorm2dNormalize)(gpu, variant);
  runInBatchSlices(gpu, spec, s.n, (n) => planeLayout(gpu, { ...s, n }, variant), [
    planes(x, s, 'read', 'x'),
    planes(y, s, 'write', 'y'),
    stats,
  ]);
}

/**
 * Eval mode without a recorded gradient, in one pass: y = (x - rm) / sqrt(rv + eps) * w + b (w, b optional), or
 * max(that, 0) with `relu`; the stats rows are never written (runBatchnorm2dRunningStats + normalize in two).
 */
export function runBatchnorm2dNormalizeRunning(
  gpu: Gpu,
  x: GPUBuffer,
  running: { rm: GPUBuffer; rv: GPUBuffer; w: GPUBuffer | null; b: GPUBuffer | null; eps: number },
  y: GPUBuffer,
  s: Batchnorm2dShape,
  variant = batchnorm2dVariant(s),
  relu = false,
): void {
  const { rm, rv, w, b, eps } = running;
  const spec = (relu ? batchnorm2dNormalizeRunningRelu : batchnorm2dNormalizeRunning)(gpu, variant);
  const affine = { eps, hasWeight: w ? 1 : 0, hasBias: b ? 1 : 0 };
  runInBatchSlices(gpu, spec, s.n, (n) => ({ ...planeLayout(gpu, { ...s, n }, variant), ...affine }), [
    planes(x, s, 'read', 'x'),
    planes(y, s, 'write', 'y'),
    rm,
    rv,
    w ?? rm,
    b ?? rm,
  ]);
}

/**
 * Backward sums: overwrites dw = sum(dy * xhat) and db = sum(dy) per channel, and the dx coefficients in `coef`.
 * `reduce: false` (eval mode when neither dw nor db is wanted) skips reading x and dy: dw and db are then 0.
 * `relu: true` (batchnorm2d_relu) sums dy masked by the fused ReLU, dy * ((x - mean) * scale + beta > 0). A
 * PooledGradient dy (always with the ReLU) is gathered through its pool.
 */
export function runBatchnorm2dBackwardSums(
  gpu: Gpu,
  x: GPUBuffer,
  dy: GPUBuffer | PooledGradient,
  stats: GPUBuffer,
  coef: GPUBuffer,
  dw: GPUBuffer,
  db: GPUBuffer,
  s: Batchnorm2dShape,
  opts: { training: boolean; reduce: boolean; relu?: boolean },
  variant = batchnorm2dVariant(s),
): void {
  const finalize = (part: GPUBuffer, chunks: number, partials: number) =>
    gpu.run(
      batchnorm2dBackwardFinalize[deviceKind(gpu)],
      { c: s.c, chunks, partials, count: s.n * s.hw, training: opts.training ? 1 : 0 },
      [part, stats, coef, dw, db],
    );
  if (!opts.reduce) {
    finalize(stats, 1, 0);
    return;
  }
  if (isPooled(dy) && !opts.relu) throw new RangeError('batchnorm2d: a pooled gradient comes only with the fused ReLU');
  const byWindow = isPooled(dy) && (dy.sums !== null || (dy.idx !== null && gpu.isSoftware));
  const windows = byWindow ? windowLayout(gpu, s, dy.pool.oh * dy.pool.ow) : null;
  const layout = windows ?? planeLayout(gpu, s, isPooled(dy) ? 'vec4' : variant);
  const part = scratch(gpu, 2 * layout.groups, 'batchnorm2d.backward_reduce:part');
  if (windows && isPooled(dy) && dy.sums !== null) {
    const ohw = dy.pool.oh * dy.pool.ow;
    const params = { ...windows, cy: dy.cy, offset: dy.offset, divisor: dy.divisor };
    const pdy = { buffer: dy.dy, offset: 0, size: 4 * s.n * dy.cy * ohw };
    const sums = { buffer: dy.sums, offset: 0, size: 8 * s.n * s.c * ohw };
    gpu.run(batchnorm2dBackwardReduceWindows, params, [pdy, sums, part]);
  } else if (windows && isPooled(dy)) {
    const params = { ...windows, cy: dy.cy, offset: dy.offset };
    gpu.run(batchnorm2dBackwardReduceArgmax, params, [...pooledBindings(x, s, dy), stats, part]);
  } else if (isPooled(dy)) {
    const spec = batchnorm2dBackwardReducePooled(gpu, dy);
    gpu.run(spec, pooledParams(gpu, s, dy), [...pooledBindings(x, s, dy), stats, part]);
  } else {
    const reduce = opts.relu ? batchnorm2dBackwardReduceRelu : batchnorm2dBackwardReduce;
    runInBatchSlices(gpu, reduce(gpu, variant), s.n, (n) => planeLayout(gpu, { ...s, n }, variant), [
      planes(x, s, 'read', 'x'),
      planes(dy, s, 'read', 'dy'),
      stats,
      { buffer: part, sampleBytes: 8 * s.c * layout.chunks, access: 'write', role: 'part' },
    ]);
  }
  finalize(part, layout.chunks, s.n * layout.chunks);
  gpu.free(part);
}

function isPooled(dy: GPUBuffer | PooledGradient): dy is PooledGradient {
  return 'cy' in dy;
}

/**
 * dx = k_dy * dy + k_x * (x - mean) + k_0 per channel, from `coef`; with `relu` (batchnorm2d_relu) dy is first
 * masked by (x - mean) * k_dy + beta > 0. A PooledGradient dy (always with the ReLU) is gathered through its pool.
 */
export function runBatchnorm2dBackwardInput(
  gpu: Gpu,
  x: GPUBuffer,
  dy: GPUBuffer | PooledGradient,
  coef: GPUBuffer,
  dx: GPUBuffer,
  s: Batchnorm2dShape,
  variant = batchnorm2dVariant(s),
  relu = false,
): void {
  if (isPooled(dy)) {
    if (!relu) throw new RangeError('batchnorm2d: a pooled gradient comes only with the fused ReLU');
    const spec = batchnorm2dBackwardInputPooled(gpu, dy);
    gpu.run(spec, pooledParams(gpu, s, dy), [...pooledBindings(x, s, dy), coef, { buffer: dx, offset: 0, size: 4 * s.n * s.c * s.hw }]);
    return;
  }
  const input = relu ? batchnorm2dBackwardInputRelu : batchnorm2dBackwardInput;
  runInBatchSlices(gpu, input(gpu, variant), s.n, (n) => planeLayout(gpu, { ...s, n }, variant), [
    planes(x, s, 'read', 'x'),
    planes(dy, s, 'read', 'dy'),
    coef,
    planes(dx, s, 'write', 'dx'),
  ]);
}
