/**
 * Window geometry shared by the pooling kernels: hyper-parameters in PyTorch's forms (an int or a pair), checked with
 * PyTorch's rules, and the output size (PyTorch's pooling_output_shape, ceil_mode included). Errors name the op,
 * the input shape and the hyper-parameters. Also what the numbered fast variants share: when each applies, their
 * workgroup layout and their specialised descriptors.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid, type BindingSpec, type KernelSpec, type ParamType } from './kernel.js';

export type Pair = number | readonly [number, number];

export interface Pool2dOptions {
  kernel: Pair;
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: Pair;
  /** Implicit padding on both sides; PyTorch allows at most half the kernel size. */
  padding?: Pair;
  /** Round the output size up instead of down (the last window must still start inside the input or left padding). */
  ceilMode?: boolean;
}

/** One window per output element; every field is what the kernels' Params carry (planes = N*C). */
export interface Pool2dGeometry {
  n: number;
  c: number;
  planes: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** PyTorch's pooling_output_shape: floor (or ceil) division of the padded extent, then ceil_mode's start rule. */
export function poolOutputSize(size: number, kernel: number, stride: number, pad: number, dilation: number,
  ceilMode: boolean): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** Checks x and the options, and returns the window geometry; `dilation` only exists for max pooling. */
export function poolGeometry(op: string, shape: readonly number[], options: Pool2dOptions & { dilation?: Pair }): Pool2dGeometry {
  const [kh, kw] = pair(op, 'kernel', options.kernel);
  const [sh, sw] = options.stride === undefined ? [kh, kw] : pair(op, 'stride', options.stride);
  const [ph, pw] = pair(op, 'padding', options.padding ?? 0, 0);
  const [dh, dw] = pair(op, 'dilation', options.dilation ?? 1);
  const ceilMode = options.ceilMode ?? false;
  const [n, c, h, w] = nchw(op, shape);
  const what = `input [${shape.join(', ')}] with kernel [${kh}, ${kw}], stride [${sh}, ${sw}], padding [${ph}, ${pw}]` +
    (options.dilation === undefined ? '' : `, dilation [${dh}, ${dw}]`) + (ceilMode ? ', ceilMode' : '');
  if (2 * ph > kh || 2 * pw > kw) {
    throw new RangeError(`${op}: ${what}: padding must be at most half the kernel size`);
  }
  const oh = poolOutputSize(h, kh, sh, ph, dh, ceilMode);
  const ow = poolOutputSize(w, kw, sw, pw, dw, ceilMode);
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(`${op}: ${what} gives output size [${oh}, ${ow}]; the window does not fit the input`);
  }
  return { n, c, planes: n * c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw };
}

/** x must be a non-empty NCHW tensor. */
export function nchw(op: string, shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4 || shape.some((d) => d === 0)) {
    throw new RangeError(`${op}: input [${shape.join(', ')}] must be a non-empty NCHW tensor`);
  }
  return [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
}

function pair(op: string, name: string, value: Pair, min = 1): [number, number] {
  const [a, b] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < min || b < min) {
    throw new RangeError(`${op}: ${name} ${JSON.stringify(value)} must be an integer or a pair of integers >= ${min}`);
  }
  return [a, b];
}

/**
 * How the numbered variants work on lavapipe, which runs each batch of 8 invocations as a coroutine and turns every
 * storage access into a gather or a per-lane store: a few 16-wide workgroups per plane, each thread looping over
 * CHUNK / 16 items (a short loop, a u32 division or a scattered store per item each cost about as much as the
 * useful work), window loops unrolled by override constants, and dx written as vec4s.
 */
export const POOL_WG = 16;
/** Items (outputs, or runs of dx vec4s) one workgroup of a fast variant covers at most. */
export const CHUNK = 4096;
/** The fast variants divide small integers by a float reciprocal, exact below this. */
const EXACT_QUOTIENT = 2 ** 22;
/** Most window taps (forward) or windows per dx vec4 (backward) a fast variant unrolls. */
const MAX_UNROLL = 64;

/**
 * 'direct': one thread per element, any geometry; 'unrolled': window taps unrolled (KH x KW constants); 'blocked'
 * (max pooling with overlapping windows): 2 x 2 outputs a thread step, their shared input patch loaded once.
 */
export type PoolForwardVariant = 'direct' | 'unrolled' | 'blocked';
/** 'direct': one thread per input element, any geometry; 'vec4': dx as runs of vec4s, needs W % 4 == 0. */
export type PoolBackwardVariant = 'direct' | 'vec4';

/** The forward variants of `op` that apply to this geometry, the fastest last. */
export function poolForwardVariants(g: Pool2dGeometry, op: 'maxpool2d' | 'avgpool2d'): PoolForwardVariant[] {
  const fits = g.kh * g.kw <= MAX_UNROLL && g.oh * g.ow < EXACT_QUOTIENT;
  if (!fits) return ['direct'];
  return op === 'maxpool2d' && blockedPatch(g) !== null ? ['direct', 'unrolled', 'blocked'] : ['direct', 'unrolled'];
}

/**
 * The forward variant the ops run: on a software rasterizer the fastest that applies (the last listed); on a hardware
 * GPU 'direct', one thread per output in 256-wide workgroups, which an H100 ran 2.4-5x faster than 'unrolled' at both
 * bench shapes (bench/RESULTS_H100.md: the fast variants' 16-wide workgroups, which suit lavapipe's coroutines, leave
 * half of each 32-lane warp idle there).
 */
export function choosePoolForwardVariant(g: Pool2dGeometry, op: 'maxpool2d' | 'avgpool2d',
  device?: { isSoftware?: boolean }): PoolForwardVariant {
  return device?.isSoftware === false ? 'direct' : poolForwardVariants(g, op).at(-1)!;
}

/**
 * forward_2_blocked's patch of a 2 x 2 block of outputs, in taps of the dilation: SHD = sh / dh and SWD = sw / dw,
 * (SHD + kh) x (SWD + kw) taps; null where it does not apply (strides not multiples of the dilation, a patch over
 * MAX_UNROLL taps) or shares nothing (windows that do not overlap, as CNN-X's kernel 2 stride 3).
 */
export function blockedPatch(g: Pool2dGeometry): { shd: number; swd: number } | null {
  if (g.sh % g.dh !== 0 || g.sw % g.dw !== 0) return null;
  const shd = g.sh / g.dh;
  const swd = g.sw / g.dw;
  const blocks = Math.ceil(g.oh / 2) * Math.ceil(g.ow / 2);
  return windowsOverlap(g) && (shd + g.kh) * (swd + g.kw) <= MAX_UNROLL && blocks < EXACT_QUOTIENT ? { shd, swd } : null;
}

/** The backward variants that apply to this geometry, the fastest last. */
export function poolBackwardVariants(g: Pool2dGeometry): PoolBackwardVariant[] {
  const { v, ry, rx } = vec4Unroll(g);
  const fits = g.w % 4 === 0 && v * ry * rx <= MAX_UNROLL && (g.h * g.w) / 4 < EXACT_QUOTIENT &&
    g.h + g.ph + g.sh < EXACT_QUOTIENT && g.w + g.pw + g.sw < EXACT_QUOTIENT;
  return fits ? ['direct', 'vec4'] : ['direct'];
}

/**
 * The backward variant the ops run: on a software rasterizer the fastest that applies (the last listed); on a hardware
 * GPU 'direct' where windows do not overlap (each input has at most one window, as CNN-X's kernel 2 stride 3: an H100
 * ran it in 0.58 ms against 0.78-0.85 for 'vec4'), else 'vec4' (ResNet's 3x3 stride-2 stem: 0.63 against 0.81 ms).
 */
export function choosePoolBackwardVariant(g: Pool2dGeometry, device?: { isSoftware?: boolean }): PoolBackwardVariant {
  return device?.isSoftware === false && !windowsOverlap(g) ? 'direct' : poolBackwardVariants(g).at(-1)!;
}

/** Whether neighbouring windows share inputs (a window spans more than the stride, in either direction). */
function windowsOverlap(g: Pool2dGeometry): boolean {
  return (g.kh - 1) * g.dh + 1 > g.sh || (g.kw - 1) * g.dw + 1 > g.sw;
}

/**
 * The override constants of backward_1_vec4: V vec4s of dx per item (2 when W % 8 == 0: each window is then read
 * once for 8 columns; measured 20% faster than 1 on CNN-X's shape), and the most window rows (RY) touching `rows`
 * adjacent input rows and window columns (RX) touching 4V adjacent input columns.
 */
export function vec4Unroll(g: Pool2dGeometry, rows = 1): { v: number; ry: number; rx: number } {
  const v = g.w % 8 === 0 ? 2 : 1;
  return {
    v,
    ry: Math.floor(((g.kh - 1) * g.dh + rows - 1) / g.sh) + 1,
    rx: Math.floor(((g.kw - 1) * g.dw + 4 * v - 1) / g.sw) + 1,
  };
}

/**
 * Input rows per item of the backward_1_vec4 variants: 2 where the unrolled windows still fit (the rows then share
 * the windows that cover both), else 1.
 */
export function poolBackwardRows(g: Pool2dGeometry): number {
  const { v, ry, rx } = vec4Unroll(g, 2);
  return 2 * v * ry * rx <= MAX_UNROLL ? 2 : 1;
}

/** Workgroups of a fast variant: `blocks` per plane, each of `items` per thread. */
export function chunkLayout(planes: number, perPlane: number): { items: number; blocks: number; groups: number } {
  const items = Math.max(1, Math.min(CHUNK / POOL_WG, Math.ceil(perPlane / POOL_WG)));
  const blocks = Math.ceil(perPlane / (items * POOL_WG));
  return { items, blocks, groups: planes * blocks };
}

/** Throws when a forced variant does not apply to the geometry. */
export function checkPoolVariant(op: string, variant: string, applicable: readonly string[]): void {
  if (!applicable.includes(variant)) {
    throw new RangeError(`${op}: variant ${variant} does not apply to this geometry (only ${applicable.join(', ')})`);
  }
}

export const CHUNK_PARAMS = [['items', 'u32'], ['blocks', 'u32'], ['groups', 'u32']] as const;

const fastSpecs = new Map<string, KernelSpec>();

/**
 * The descriptor of a fast variant `<op>.<pass>` (named `<op>.<pass><suffix>`) specialised by override constants
 * (window sizes, fusion flags), so one pipeline per constant set; memoised so each set builds its pipeline once.
 */
export function fastPoolSpec<P extends string>(op: string, pass: string, bindings: readonly BindingSpec[],
  params: readonly (readonly [P, ParamType])[], constants: Readonly<Record<string, number>>,
  suffix = ''): KernelSpec<P> {
  const key = `${op}/${pass}${suffix}|${JSON.stringify(constants)}`;
  let spec = fastSpecs.get(key) as KernelSpec<P> | undefined;
  if (!spec) {
    spec = defineKernel({
      name: `${op}.${pass}${suffix}`,
      shader: `${op}/${pass}`,
      bindings,
      params,
      workgroupSize: [POOL_WG, 1, 1],
      grid: (p, maxPerDim) => linearGrid(p['groups' as P], maxPerDim),
      constants,
    });
    fastSpecs.set(key, spec as unknown as KernelSpec);
  }
  return spec;
}

/**
 * Where a pool's output lives: y (and, in the backward, dy) is [N, cy, oh, ow] and this pool's C channels are
 * [offset, offset + C) of it, so a pool can write straight into its slice of a channel concatenation and read its
 * gradient from the concatenation's gradient. The whole tensor is { cy: C, offset: 0 }.
 */
export interface ChannelSlot {
  cy: number;
  offset: number;
}

/** What a pool forward fuses in: where it writes, and a batch norm + ReLU it applies to x on the fly. */
export interface PoolForwardFusion {
  /** Write into these channels of a wider output (default: y is [N, C, oh, ow]). */
  slot?: ChannelSlot;
  /**
   * Pool relu(batchnorm2d(x)) rather than x: batchnorm2d's [5, C] stats rows (mean, var, invstd, scale, beta), as
   * its normalize pass reads them; the normalised map is never written.
   */
  bnReluStats?: Binding;
  /**
   * With bnReluStats, in training: also record per window what batch norm's backward reduce needs, [N, C, oh, ow]
   * vec2s (batchnorm2d/backward_reduce_windows.wgsl). Only the 'unrolled' variant records them.
   */
  windowSums?: Binding;
}

/** Refuses window sums where the forward would not record them: without the fused batch norm, or off 'unrolled'. */
export function checkWindowSums(op: string, fusion: PoolForwardFusion, variant: PoolForwardVariant): void {
  if (fusion.windowSums !== undefined && (variant !== 'unrolled' || fusion.bnReluStats === undefined)) {
    throw new RangeError(`${op}: window sums need the fused batch norm and the 'unrolled' variant (got '${variant}')`);
  }
}

/** The unrolled forward's sums binding and SUMS constant; where none are kept, a 16-byte scratch the caller frees. */
export function windowSumsBinding(gpu: Gpu, fusion: PoolForwardFusion):
  { sums: Binding; scratch: GPUBuffer | null; SUMS: number } {
  if (fusion.windowSums !== undefined) return { sums: fusion.windowSums, scratch: null, SUMS: 1 };
  const scratch = gpu.alloc(16, 'pool.forward:unused sums');
  return { sums: scratch, scratch, SUMS: 0 };
}

/** The Params fields every pooling kernel starts with, in this order (the shaders' `struct Params` match). */
export const WINDOW_PARAMS = [
  ['planes', 'u32'], ['h', 'u32'], ['w', 'u32'], ['oh', 'u32'], ['ow', 'u32'], ['kh', 'u32'], ['kw', 'u32'],
  ['sh', 'u32'], ['sw', 'u32'], ['ph', 'u32'], ['pw', 'u32'], ['dh', 'u32'], ['dw', 'u32'],
  ['c', 'u32'], ['cy', 'u32'], ['offset', 'u32'],
] as const;

export type WindowParam = (typeof WINDOW_PARAMS)[number][0];

export function windowParams(g: Pool2dGeometry, slot: ChannelSlot = { cy: g.c, offset: 0 }):
  Record<WindowParam, number> {
  if (!(Number.isInteger(slot.offset) && slot.offset >= 0 && slot.offset + g.c <= slot.cy)) {
    throw new RangeError(
      `pool: channels [${slot.offset}, ${slot.offset + g.c}) do not fit an output of ${slot.cy} channels`,
    );
  }
  const { planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, c } = g;
  return { planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, c, cy: slot.cy, offset: slot.offset };
}
