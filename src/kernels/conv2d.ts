/**
 * conv2d: forward, input gradient, weight gradient and bias gradient of a 2-D convolution over NCHW f32 tensors
 * with OIHW weights, any kernel size, stride, padding, dilation and groups.
 *
 * Variants (numbered as their shaders; every one is checked on every fixture by test/ops/conv2d.test.ts):
 * - forward: 'direct' (forward.wgsl: one thread per output, the reference); 'gemm' (forward_2_gemm.wgsl: implicit
 *   GEMM, each thread a register tile of up to 8 output channels x 16 pixels; every shape); 'subgroup'
 *   (forward_3_subgroup.wgsl: the same GEMM with weights shared across each subgroup by broadcasts, tiles of 8 to 32
 *   channels, a 32-channel tile's weights regrouped by K step first where the outputs are many, tap_major_weights.wgsl;
 *   devices with subgroups of >= 8 lanes); 'pointwise' (forward_4_pointwise.wgsl: 1x1 kernels without
 *   padding as a plain matrix product over each image's pixels, weights shared by broadcasts; same devices); 'tiled'
 *   (forward_5_tiled.wgsl: the GEMM in 32x32 or 64x64 blocks staged through workgroup memory, as hardware GPUs like
 *   it; never the heuristics' pick, since no GPU has measured it yet: `cnnx tune` chooses it where it wins); 'depthwise' (forward_6_depthwise.wgsl: one input channel per group at stride 1 and dilation 1, kernels up
 *   to 7x7: each thread slides a window of input rows down a strip of outputs, loading each input about once; with a
 *   channel multiplier, as CNN-X's 1-channel convs have, forward_6_depthwise_multi.wgsl, 1, 2 or 4 channels a
 *   thread and kernels up to 9x9; and for the transpose, one output channel per group and several input channels, over
 *   rows of a multiple of 4 inputs and kernels up to 9x9, forward_6_depthwise_reduce.wgsl: the window slides down a
 *   block of rows once per input channel, the sums kept across channels; CNN-X's input gradients run it;
 *   forward_6_depthwise_multi_stats also writes y's batch statistics for the batch norm after it, as 'patch' can);
 *   'patch' (forward_7_patch.wgsl: ungrouped stride-1 convs with kernels up to 16 on a side and 121 taps: a block of
 *   16 x 32 output pixels per workgroup from an input patch and the weights staged in workgroup memory, neighbouring
 *   threads on neighbouring pixels; for hardware GPUs and convs with few input channels, CNN-X's).
 * - backward_input: 'direct' (backward_input.wgsl: transposed-conv gather, one thread per input element) and 'gemm'
 *   (flip_weights.wgsl, then the fastest forward variant on dy: for stride 1 the input gradient is a convolution of
 *   dy with the flipped, transposed weights). 'gemm' applies when stride is 1 and padding <= dilation * (kernel - 1);
 *   'strided' (backward_input_2_strided.wgsl: stride > 1, dilation 1) splits dx into its stride x stride phases, each
 *   a stride-1 correlation of dy with the taps that reach it, register-tiled as forward_2_gemm; for a 1x1 kernel
 *   without padding only one phase is nonzero, a pointwise conv of dy: run as the fastest forward variant on the
 *   flipped weights, then spread over dx by scatter_strided.wgsl.
 * - backward_weight: 'direct' (backward_weight.wgsl: one workgroup per weight and chunk of batch*oh*ow, the
 *   reference); 'gemm' (backward_weight_2_gemm.wgsl: each thread sums a tile of 8 output channels x up to 8
 *   weight rows x all kw taps over its own output rows; kw <= 16; over rows of a multiple of 4 pixels
 *   backward_weight_2_gemm_quads.wgsl, the same with dy read as vec4 quads); 'subgroup'
 *   (backward_weight_3_subgroup.wgsl: a workgroup sums 8 or 16 output channels x up to 384 weight columns over a
 *   part of the pixels, dy shared by broadcasts; devices with subgroups of >= 8 lanes; over planes of a multiple of
 *   4 pixels with rows of 4 or more backward_weight_3_subgroup_planes.wgsl, which walks each plane a quad at a time
 *   across rows, dy read as vec4s); 'depthwise' (backward_weight_4_depthwise.wgsl: the forward's sliding window over
 *   the shapes forward_6_depthwise takes, each thread summing one channel's taps); 'pointwise'
 *   (backward_weight_6_pointwise.wgsl: 1x1 kernels at stride 1 without padding over planes of a multiple of 4
 *   pixels: 'subgroup''s tiles with x and dy read as vec4 quads, no taps and no edge tests); 'patch'
 *   (backward_weight_5_patch.wgsl: forward_7_patch's shapes with few input channels: dy and the input patch of a
 *   4 x 32 block staged in workgroup memory, each thread summing one kernel row of 4 channels along one block row).
 *   All write per-part partials that sum_partials.wgsl adds in a fixed order, so gradients are deterministic.
 * - backward_bias: 'direct' (backward_bias.wgsl: 64-wide tree per plane piece, any shape, the reference) and 'vec4'
 *   (backward_bias_1_vec4.wgsl: 16-wide workgroups of vec4 loads, for oh*ow % 4 == 0), both then sum_partials.
 *   When the bias gradient is wanted with the weight gradient, the variants but 'direct' sum it on the side
 *   (runConv2dBackwardWeight's `db`), and no bias pass reads dy again.
 * The run functions use the fastest variant that applies (chooseConv2dVariant: the device's tuned table if it has an
 * entry for the shape, else the heuristics) unless one is forced.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import type { KernelChoices } from '../runtime/kernel_choices.js';
import { defineKernel, linearGrid, memoize, type KernelSpec, type ParamValues } from './kernel.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';
import {
  runWinogradForward, runWinogradWeightGradient, winogradApplies, type WinogradProduct,
} from './conv2d_winograd.js';

/** Everything that fixes the arithmetic of one convolution (sizes in elements). */
export interface Conv2dGeometry {
  batch: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilH: number;
  dilW: number;
  groups: number;
}

export type Conv2dVariant =
  'direct' | 'gemm' | 'subgroup' | 'pointwise' | 'tiled' | 'depthwise' | 'strided' | 'patch' | 'winograd';
export type Conv2dPass = 'forward' | 'backwardInput' | 'backwardWeight';

/** The variants each pass has, for tests and benchmarks that force one. */
export const CONV2D_VARIANTS: Readonly<Record<Conv2dPass, readonly Conv2dVariant[]>> = {
  forward: ['direct', 'gemm', 'subgroup', 'pointwise', 'tiled', 'depthwise', 'patch', 'winograd'],
  backwardInput: ['direct', 'gemm', 'strided'],
  backwardWeight: ['direct', 'gemm', 'subgroup', 'pointwise', 'depthwise', 'patch', 'winograd'],
};

/**
 * What a device offers that some variants need (a Gpu has it); without it those variants do not apply. A software
 * rasterizer (lavapipe, SwiftShader: `isSoftware`) runs a workgroup's lanes on one CPU core, where a buffer load costs
 * several FMAs and two cores are filled by a few dozen workgroups; a hardware GPU loads cheaply and needs thousands of
 * threads in flight. The variant choice and the split of the weight-gradient reduction follow that.
 */
export interface Conv2dDevice {
  hasSubgroups: boolean;
  isSoftware?: boolean;
  /** Variants measured fastest per shape on this device (`cnnx tune`), preferred where they apply. */
  kernelChoices?: KernelChoices | null;
  /** Where a variant's own buffers must fit one binding ('winograd'); WebGPU's default limit when absent. */
  limits?: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize'>;
}

/** What a conv2d pass is asked to run, as tuning records it (KernelChoices.asked). */
export interface Conv2dChoiceShape {
  op: 'conv2d';
  pass: Conv2dPass;
  geometry: Conv2dGeometry;
}

/** The kernel-choice key of a pass at a geometry: readable, since people read the tuned table. */
export function conv2dChoiceKey(pass: Conv2dPass, g: Conv2dGeometry): string {
  return `conv2d.${pass} x [${g.batch}, ${g.cin}, ${g.h}, ${g.w}] w [${g.cout}, ${g.cin / g.groups}, ${g.kh}, ${g.kw}] ` +
    `stride ${g.strideH},${g.strideW} pad ${g.padH},${g.padW} dilation ${g.dilH},${g.dilW} groups ${g.groups}`;
}

/**
 * Whether `variant` of `pass` handles this geometry on `device` ('direct' handles all; the subgroup variants need a
 * device, and say no without one).
 */
export function conv2dVariantApplies(
  pass: Conv2dPass,
  variant: Conv2dVariant,
  g: Conv2dGeometry,
  device?: Conv2dDevice,
): boolean {
  if (variant === 'subgroup' || variant === 'pointwise') {
    if (pass === 'backwardInput' || device?.hasSubgroups !== true) return false;
    if (variant === 'subgroup') return true;
    const pointwise = g.kh === 1 && g.kw === 1 && g.padH === 0 && g.padW === 0;
    if (pass === 'forward') return pointwise;
    return pointwise && g.strideH === 1 && g.strideW === 1 && (g.oh * g.ow) % 4 === 0;
  }
  if (variant === 'tiled') return pass === 'forward';
  if (variant === 'winograd') {
    const maxBinding = device?.limits?.maxStorageBufferBindingSize ?? DEFAULT_MAX_BINDING_BYTES;
    return pass !== 'backwardInput' && device?.hasSubgroups === true && winogradApplies(g, maxBinding);
  }
  if (variant === 'strided') {
    return pass === 'backwardInput' && (g.strideH > 1 || g.strideW > 1) && g.dilH === 1 && g.dilW === 1;
  }
  if (variant === 'depthwise') {
    if (pass === 'backwardInput' || g.strideH !== 1 || g.strideW !== 1 || g.dilH !== 1 || g.dilW !== 1) return false;
    const side = Math.max(g.kh, g.kw);
    if (g.cin === g.groups) {
      // Past forward_6_depthwise's kernels only the multi kernels apply: the forward's with a channel multiplier on a
      // software device (one channel a thread for the largest), the weight gradient's with several channels a thread.
      const multi = pass === 'forward'
        ? device?.isSoftware !== false && g.cout > g.groups
        : depthwiseWeightChannels(g, device) > 1;
      return side <= DW_MAX_K || (side <= DW_MULTI_MAX_K && multi);
    }
    return pass === 'forward' && depthwiseReduceApplies(g);
  }
  if (variant === 'patch') return pass !== 'backwardInput' && patchApplies(pass, g);
  if (variant === 'direct' || pass === 'forward') return true;
  if (pass === 'backwardInput') {
    return g.strideH === 1 && g.strideW === 1 && g.padH <= g.dilH * (g.kh - 1) && g.padW <= g.dilW * (g.kw - 1);
  }
  return g.kw <= BW_MAX_KW;
}

/**
 * The variant of `pass` to run for this geometry on `device`: the device's tuned entry for the shape when it has one
 * that applies, else the built-in heuristic.
 */
export function chooseConv2dVariant(pass: Conv2dPass, g: Conv2dGeometry, device?: Conv2dDevice): Conv2dVariant {
  const choices = device?.kernelChoices;
  if (choices?.active) {
    const key = conv2dChoiceKey(pass, g);
    if (choices.collecting) choices.record(key, { op: 'conv2d', pass, geometry: { ...g } } satisfies Conv2dChoiceShape);
    const tuned = choices.lookup(key) as Conv2dVariant | undefined;
    if (tuned !== undefined && CONV2D_VARIANTS[pass].includes(tuned) && conv2dVariantApplies(pass, tuned, g, device)) return tuned;
  }
  return heuristicConv2dVariant(pass, g, device);
}

/**
 * The built-in choice (without a tuned entry): the variant of `pass` measured fastest on lavapipe or an H100 that
 * handles this geometry on `device`. The subgroup variants tile at least 8 output channels per thread, so with fewer
 * channels per group (depthwise convs) 'gemm', which tiles down to 1, is faster.
 * On a software device: for the weight gradient of a conv with few input channels (CNN-X's 1-channel 9x9), 'gemm''s
 * inputs sliding along the kernel row beat loading every tap; they slide only when strideW == dilW, so ResNet's
 * 3-channel 7x7 stride-2 stem keeps 'subgroup' (14 vs 32 ms at batch 1).
 * On a software device a conv with one input channel per group runs 'depthwise' where it applies (kernels up to 7x7,
 * and 9x9 forwards with a channel multiplier):
 * it loads each input about once where 'gemm' loads it up to kh times; measured 2-3x faster than 'gemm' on Xception's
 * depthwise convs and 1.2-1.5x than the best other variant on CNN-X's 5x5, level with it on CNN-X's 3x3 forward,
 * 1.5x faster than 'subgroup' on CNN-X's 9x9 forward (2 channels a thread, its tap rows unrolled: 42 vs 61-64 ms). Its
 * weight gradient reloads the input for every output channel, so with many channels per group and a small kernel
 * (CNN-X's 3x3: 17.1 vs 15.1 ms) 'gemm', which shares each load across a tile of channels, kept it until the multi
 * sibling shared the window across 2 or 4 channels over rows of a multiple of 4 pixels (9.5 vs 13.6 ms).
 * Its reducing sibling (one output channel per group, CNN-X's input gradients) beat 'gemm' 2-2.8x there.
 * 1x1 forwards run 'pointwise' up to POINTWISE_INPUTS_FIRST_MAX_PLANE output pixels, 'subgroup' past it (ResNet-50 at
 * 56 x 56, batch 15: 61-66 ms against 64-75; at 28 x 28 and below 'pointwise' 50-59 against 56-66).
 * 3x3 convs at stride 1 with at least WINOGRAD_MIN_CHANNELS channels in and out run 'winograd' (forward, and so the
 * input gradient, and weight gradient) over at least WINOGRAD_MIN_PIXELS outputs a channel (see there).
 * Hardware GPUs have rules of their own (hardwareConv2dVariant).
 */
export function heuristicConv2dVariant(pass: Conv2dPass, g: Conv2dGeometry, device?: Conv2dDevice): Conv2dVariant {
  if (device?.isSoftware === false) return hardwareConv2dVariant(pass, g, device);
  const depthwise = pass === 'forward' || g.cout / g.groups < SG_LANES || g.kh * g.kw >= DW_WEIGHT_MIN_TAPS ||
    depthwiseWeightChannels(g, device) > 1;
  if (depthwise && conv2dVariantApplies(pass, 'depthwise', g, device)) return 'depthwise';
  if (winogradPays(g) && conv2dVariantApplies(pass, 'winograd', g, device)) return 'winograd';
  const fewInputs = pass === 'backwardWeight' && g.cin / g.groups < BW_SG_MIN_CIN && g.strideW === g.dilW;
  if (g.cout / g.groups >= SG_LANES && !fewInputs) {
    const largePlane = pass === 'forward' && g.oh * g.ow > POINTWISE_INPUTS_FIRST_MAX_PLANE;
    if (!largePlane && conv2dVariantApplies(pass, 'pointwise', g, device)) return 'pointwise';
    if (conv2dVariantApplies(pass, 'subgroup', g, device)) return 'subgroup';
  }
  if (conv2dVariantApplies(pass, 'gemm', g)) return 'gemm';
  return conv2dVariantApplies(pass, 'strided', g) ? 'strided' : 'direct';
}

/**
 * The rules for a hardware GPU, measured on an H100 (bench/RESULTS_H100.md, `cnnx tune` at ResNet-50 batch 1):
 * loads are cheap there and workgroup memory fast, so the forward runs 'tiled' wherever a block of 32 channels and
 * a K of 64 fill its tiles (ResNet-50: 1.5-8x faster than 'pointwise' or 'gemm' at batch 15, and batch-1 inference
 * 44.5 -> 17.2 ms tuned; over few pixels with K split, TILED_MAX_SPLITS); other 16-channel convs keep
 * 'gemm' (CNN-X's 9x9 before 'patch': 0.28-0.88 ms against 0.67-1.78 for 'tiled' over three runs). The forward 'subgroup' lost to 'gemm' at every
 * shape; the weight gradient's 'subgroup', split into enough parts, won at every shape but three batch-1 ones. The input gradient runs as a forward of the flipped weights (so 'tiled' too) where the stride is 1;
 * strided ones run 'strided' only when dx is large: at batch 1 the reference kernel, one thread per dx element, beat
 * it at 5 of 6 ResNet-50 shapes. Depthwise convs (one input channel and under 8 output channels per group) run
 * 'depthwise' (Xception at 147 x 147: forward 0.78 vs 2.01 ms for 'gemm', weight gradient 0.42 vs 10.4 ms; at
 * 19 x 19 level and 0.16 vs 0.83 ms), and so does the weight gradient of CNN-X's 1-channel 3x3 (0.15 vs 0.26 ms
 * for 'subgroup'), and the forward of one output channel per group from 5x5 (HW_DW_REDUCE_MIN_TAPS: CNN-X's input
 * gradients). 1x1 weight gradients run 'pointwise' (ResNet-50's at batch 15: 0.18-0.31 vs 0.24-0.39 ms). Convs with
 * up to 4 input channels run 'patch' (CNN-X's forwards 2x faster than 'gemm' or 'tiled', its 5x5 and 9x9 weight
 * gradients 1.1-1.4x faster than 'subgroup': HW_PATCH_MAX_CIN).
 */
function hardwareConv2dVariant(pass: Conv2dPass, g: Conv2dGeometry, device: Conv2dDevice): Conv2dVariant {
  const coutG = g.cout / g.groups;
  const patch = g.cin <= HW_PATCH_MAX_CIN && g.kh * g.kw >= (pass === 'forward' ? 2 : HW_PATCH_WEIGHT_MIN_TAPS);
  if (patch && conv2dVariantApplies(pass, 'patch', g)) return 'patch';
  const depthwise = g.cin === g.groups ?
    coutG < SG_LANES || (pass === 'backwardWeight' && g.kh * g.kw <= HW_DW_WEIGHT_MAX_TAPS) :
    pass === 'forward' && g.kh * g.kw >= HW_DW_REDUCE_MIN_TAPS; // forward_6_depthwise_reduce
  if (depthwise && conv2dVariantApplies(pass, 'depthwise', g, device)) return 'depthwise';
  if (pass === 'forward') {
    if (coutG >= TILED_MIN_COUT && (g.cin / g.groups) * g.kh * g.kw >= TILED_MIN_K) return 'tiled';
    if (coutG >= SG_LANES && conv2dVariantApplies(pass, 'pointwise', g, device)) return 'pointwise';
    return 'gemm';
  }
  if (pass === 'backwardWeight') {
    if (coutG >= SG_LANES && conv2dVariantApplies(pass, 'pointwise', g, device)) return 'pointwise';
    if (coutG >= SG_LANES && conv2dVariantApplies(pass, 'subgroup', g, device)) return 'subgroup';
    return conv2dVariantApplies(pass, 'gemm', g) ? 'gemm' : 'direct';
  }
  if (conv2dVariantApplies(pass, 'gemm', g)) return 'gemm';
  const large = g.batch * g.cin * g.h * g.w >= STRIDED_MIN_DX;
  return large && conv2dVariantApplies(pass, 'strided', g) ? 'strided' : 'direct';
}

/**
 * Where 'winograd' beats 'subgroup' on a software device. Lavapipe, ResNet-50's 3x3s taking turns in one process
 * (batch 15 / 4, ms), forward: 64 channels at 56 x 56 61.6 / 17.2 against 50.5 / 14.5, 128 at 28 x 28 59.3 / 18.0
 * against 36.5 / 10.1, 256 at 14 x 14 62.8 / 19.5 against 35.4 / 11.6, 512 at 7 x 7 104.2 / 29.3 against 37.9 /
 * 20.5; weight gradient (its first version; the sums' product on the pointwise forward since took another 13-19% off
 * at 14 x 14 and 56 x 56): 65.2 / 31.6 against 44.4 / 18.8, 67.8 / 30.9 against 36.2 / 15.4, 86.8 / 36.2 against
 * 43.3 / 22.6, 121.4 / 40.2 against 59.0 / 42.6. Its transforms of the weights (forward) or of their gradient (36
 * values a 3x3 kernel, 4x the weights' bytes, on every call) and the products' few tiles do not pay over few pixels:
 * ResNet-50's batch-1 inference (GPU time by shape) 14 x 14 23.1 ms for 5 convs against 40-59, 28 x 28 12.8 against
 * 11.8, 56 x 56 13.3 against 11.5; weight gradients at batch 1 11.7 against 14.1 ms (14 x 14), 17.8 against 39.0
 * (7 x 7), 9.5 against 5.8 (56 x 56). Those costs scale with cin * cout, as the direct conv's does with cin * cout *
 * pixels, so the rule is on the outputs a channel, over the batch. The products are 1x1 convs from cin to cout
 * channels per transform point, so they need channels to tile.
 */
const WINOGRAD_MIN_PIXELS = 512;
const WINOGRAD_MIN_CHANNELS = 16;

function winogradPays(g: Conv2dGeometry): boolean {
  const pixels = g.batch * g.oh * g.ow;
  return g.cin >= WINOGRAD_MIN_CHANNELS && g.cout >= WINOGRAD_MIN_CHANNELS && pixels >= WINOGRAD_MIN_PIXELS;
}

function resolveVariant(
  pass: Conv2dPass,
  g: Conv2dGeometry,
  forced: Conv2dVariant | undefined,
  device: Conv2dDevice,
): Conv2dVariant {
  if (forced === undefined) return chooseConv2dVariant(pass, g, device);
  if (!conv2dVariantApplies(pass, forced, g, device)) {
    throw new RangeError(`conv2d ${pass}: variant '${forced}' does not handle ${JSON.stringify(g)}`);
  }
  return forced;
}

const GEOMETRY = [
  ['batch', 'u32'], ['cin', 'u32'], ['h', 'u32'], ['w', 'u32'], ['cout', 'u32'], ['oh', 'u32'], ['ow', 'u32'],
  ['kh', 'u32'], ['kw', 'u32'], ['strideH', 'u32'], ['strideW', 'u32'], ['padH', 'u32'], ['padW', 'u32'],
  ['dilH', 'u32'], ['dilW', 'u32'], ['groups', 'u32'],
] as const;
type GeometryField = (typeof GEOMETRY)[number][0];

/** WebGPU's default maxStorageBufferBindingSize, for a Conv2dDevice that gives no limits. */
const DEFAULT_MAX_BINDING_BYTES = 128 * 1024 * 1024;
/** Threads per workgroup of pack_planes (one vec4 of a packed plane each). */
const PACK_WG = 64;
/** Threads per workgroup of flip_weights (one pair of an input and an output channel each). */
const FLIP_WG = 64;
/** Parts conv2d.sum_partials adds in one pass; more go in two (runSumPartials). */
const SUM_GROUP = 64;
/** Threads per workgroup of the tree reductions (a power of two: the shaders halve it). */
const REDUCE_WG = 64;
/** Elements one workgroup of a tree reduction sums. */
const REDUCE_CHUNK = 4096;

/** forward_2_gemm tile: output channels per thread (TM, at most) and pixel quads per thread (QPL); threads per workgroup. */
const FWD_TM = 8;
const FWD_QPL = 4;
const FWD_WG = 64;
/** backward_input_2_strided: vec4 accumulators per thread (TM * QPL, as forward_2_gemm's 8 x 4), TM at most 16. */
const STRIDED_ACC = 32;

/**
 * forward_3_subgroup and forward_4_pointwise tiles: the lanes that load a block of weights for their subgroup (TM is
 * a multiple of it), the largest TM of each, and the vec4 accumulators per thread (TM * QPL; past 32 lavapipe's loop
 * unroller gives up and the tile spills to memory); threads per workgroup at most.
 */
const SG_LANES = 8;
const SG_MAX_TM = 32;
const SG_ACC = 32;
const SG_WG = 64;
/**
 * Output pixels (batch * oh * ow) from which forward_3_subgroup's 32-channel tiles load their weights a vec4 a lane
 * from a tap-major copy they make (TAP_MAJOR; see tapMajorWeights). Lavapipe, ResNet-50's 3x3 at 14 x 14 with the
 * copy: batch 1 (196 pixels) 7.1 -> 7.9 ms, batch 4 level, batch 15 85.9 -> 76.9. A copy the caller keeps (inference:
 * runConv2dForward's tapMajor) is read at any size.
 */
const TAP_MAJOR_MIN_PIXELS = 2048;
/**
 * Kernel widths up to which forward_3_subgroup's 32-channel tiles sum a kernel row's taps before each accumulator
 * takes them (TAP_SUMS; its row arrays hold 9 taps). Lavapipe stores every update of a value carried round a loop
 * through the execution mask (reload, blend, store), so fewer updates per FMA pay: ResNet-50's 3x3s at batch 15,
 * taking turns, forward 78.2 -> 67.5 ms at 14 x 14 and 77.7 -> 59.0 at 56 x 56, input gradient 83.1 -> 78.1 and
 * 75.5 -> 58.2; at batch 1 forward 10.9 -> 9.1 (14 x 14, weights not tap-major) and 7.1 -> 5.5, input gradient
 * 11.1 -> 7.8.
 */
const SG_MAX_TAP_SUMS = 9;
/**
 * Accumulators per thread of the weight-gradient kernels that walk planes a quad at a time
 * (backward_weight_3_subgroup_planes, backward_weight_6_pointwise) on a software device: they add each broadcast dy
 * quad as it arrives, so 16 x 4 tiles fit (lavapipe, ResNet-50 at batch 15: 3x3 at 56 x 56 155 -> 126 ms, 1x1s
 * 58-60 -> 53-57 against 16 x 2, when the sums were vec4s). The row-walking backward_weight_3_subgroup keeps 32 where
 * it does not slide its taps: 16 x 4 ran its 7 x 7 in 262 ms against 257 for 16 x 2. Since the sums became dot
 * products (dy_broadcast.wgsl) 16 x 8 was no faster than 16 x 4 on the 1x1s.
 */
const SG_QUAD_WEIGHT_ACC = 64;
/**
 * Kernel rows per thread where the 'subgroup' weight gradients slide their taps (slidingTaps): 2 at 3x3, 16 x 6 tiles
 * (lavapipe, ResNet-50's 3x3s over planes: 107-113 ms against 123-135 with one row, 16 x 3).
 */
const SLIDE_ROWS = 2;

/**
 * backward_weight_2_gemm tile: scalar accumulators per thread (TM * TR * KW: lavapipe's loop unroller gives up past
 * about this many, 144 was 3.5x slower), output channels per tile (TM, at most), largest TR and KW (the shader's array
 * sizes); threads per workgroup and the most parts (threads along batch*oh) one reduction is split into.
 */
const BW_ACC = 128;
const BW_TM = 16;
const BW_MAX_TR = 16;
const BW_MAX_KW = 16;
const BW_WG = 8;
const BW_PARTS = 256;
/**
 * Workgroups backward_weight_3_subgroup aims for (splitting the pixels into parts): a few dozen keep two CPU cores
 * busy; a hardware GPU wants its cores full: in 240 parts (about 15,000 threads) each of CNN-X's weight gradients
 * took 0.66-0.73 ms on an H100 whatever its kernel size, every thread walking 14 rows of pixels one load after
 * another. runSumPartials adds the parts in two passes; at most BW_SG_MAX_PARTS of them on a hardware GPU.
 */
const BW_SG_WORKGROUPS = { software: 32, hardware: 2048 };
const BW_SG_MAX_PARTS = 4096;
/**
 * forward_6_depthwise and backward_weight_4_depthwise: the largest kernel side (the shaders' MAX_K), the strip widths
 * they are built for, threads per workgroup, and the output rows a thread walks down at most on a hardware GPU (its
 * first KH - 1 input rows are loaded for nothing, so long chunks; the weight gradient's are longer, since every chunk
 * is another part for sum_partials to add; a software device walks whole planes, depthwiseChunksFor).
 */
const DW_MAX_K = 7;
/** forward_6_depthwise_multi's and backward_weight_4_depthwise_multi's largest kernel side (their MAX_K). */
const DW_MULTI_MAX_K = 9;
/**
 * forward_6_depthwise_reduce (one output channel per group): the largest kernel side (its window's MAX_K), its strip
 * width, and its output rows per thread (the first KH - 1 input rows of each channel serve no output row of a block,
 * so taller blocks for taller kernels). Lavapipe, CNN-X's input gradients, ms at 8 columns x 4 / 6 / 8 rows: 3x3
 * 15-17 / 14-19 / 18-21, 5x5 41 / 35 / 30, 9x9 95 / 72 / 63; 4 columns were 1.1-1.6x slower (measured before the tap
 * rows were unrolled).
 */
const DW_REDUCE_MAX_K = 9;
const DW_REDUCE_STRIP = 8;
const reduceRows = (kh: number): number => (kh <= 3 ? 4 : 8);
/**
 * forward_6_depthwise_multi's weights per thread at most (its wk array): TMC * kh * kw. Fewer channels a thread load
 * each input row for fewer FMAs, yet ran faster past this: lavapipe (2-core AMD EPYC), CNN-X at batch 15, taking turns
 * in one process, 9x9 with 1 channel against 2 (81 weights against 162) 44-46 against 47-55 ms (chunks of 32 rows),
 * 36.5-38.7 against 41.4-42.3 (whole planes, depthwiseChunksFor); 3x3 with 4 against 2 10.2-11.5 against 10.8-11.9.
 * The 5x5 with 2 against 4 (50 weights against 100): 17.3-17.7 against 19.4-19.7 in 32-row chunks; in whole planes
 * 4 read 17.5-18.4 in each of three processes, 2 read 19.6-22.1, 14.7-15.7 and 15.6-18.5 (where the JIT puts a
 * 100 KB kernel seems to matter: a process is one placement). Earlier, a 9x9 with 4 channels ran 3.3x slower than 2.
 */
const DW_MAX_WEIGHTS = 81;
/**
 * backward_weight_4_depthwise_multi's channels per thread (TMC) and sums per thread at most, TMC * kh * kw (its acc
 * array): the first of these that fits. Lavapipe, CNN-X at batch 15, whole planes a thread, taking turns: 3x3 with 4
 * channels against 2 7.3-9.1 against 9.5-10.9 ms (three processes); 5x5 with 2 against 4 12.2-15.0 against
 * 15.4-18.5. Its 9x9 with 2 channels (162 sums) ran 35 ms against 68 for 'gemm'; with 1 (chunks of 64 rows then)
 * 37.3 against 35.0.
 */
const DW_WEIGHT_CHANNELS = [{ tmc: 4, maxSums: 36 }, { tmc: 2, maxSums: 162 }] as const;
/**
 * The patch variants (forward_7_patch, backward_weight_5_patch) stage an input patch in workgroup memory, at most 16
 * KiB of it with their other tiles: kernels up to PATCH_MAX_K on a side, and for the forward (which stages the
 * weights too) PATCH_MAX_TAPS taps. The forward's blocks are 16 x 32 output pixels x 16 channels for 128 threads of
 * 4 pixels.
 */
const PATCH_MAX_K = 16;
const PATCH_MAX_TAPS = 121;
const PATCH_FORWARD_BLOCK = { rows: 16, cols: 32 };
const PATCH_FORWARD_CHANNELS = 16;
const PATCH_FORWARD_WG = 128;
/**
 * backward_weight_5_patch: blocks of 4 x 32 output pixels, threads per workgroup at most (one per channel quad, input
 * channel, kernel row and block row) and at least (the rest only stage the tiles: a 3x3's 48 threads each loaded 43
 * values a block, one after another), the patch values its workgroup memory holds, and the workgroups it aims for,
 * as backward_weight_3_subgroup's.
 */
const PATCH_WEIGHT_BLOCK = { rows: 4, cols: 32 };
const PATCH_WEIGHT_WG = 256;
const PATCH_WEIGHT_MIN_WG = 128;
const PATCH_WEIGHT_PATCH = 1984;
/** vec4s of backward_weight_5_patch's dy tile, which holds the block rows' sums at the end. */
const PATCH_WEIGHT_SUMS = 524;
const PATCH_WEIGHT_WORKGROUPS = { software: 32, hardware: 2048 };
const DW_STRIPS = [8, 4] as const;
const DW_WG = 64;
const DW_FORWARD_ROWS = 32;
const DW_WEIGHT_ROWS = 64;
/**
 * Threads the depthwise kernels keep at least on a software device, where they walk whole planes otherwise
 * (depthwiseChunksFor).
 */
const DW_SOFTWARE_MIN_THREADS = 1024;
/** Kernel taps from which backward_weight_4_depthwise beats 'gemm' with many channels per group (CNN-X: 5x5 yes, 3x3 no). */
const DW_WEIGHT_MIN_TAPS = 25;
/** On a hardware GPU the other way round: it beats 'subgroup' on CNN-X's 3x3, not from 5x5. */
const HW_DW_WEIGHT_MAX_TAPS = 9;
/**
 * Kernel taps from which a hardware GPU runs forward_6_depthwise_reduce (one output channel per group): on an H100,
 * CNN-X's input gradients at batch 15, 0.42 vs 0.89 ms for 'gemm' at 9x9, 0.27 vs 0.32 at 5x5, 0.156 vs 0.143 at 3x3.
 */
const HW_DW_REDUCE_MIN_TAPS = 25;
/** Threads backward_weight_4_depthwise aims for at least, summing several images per thread above that. */
const DW_WEIGHT_THREADS = { software: 8192, hardware: 65536 };
/**
 * Input channels (ungrouped) up to which a hardware GPU runs a spatial conv's forward 'patch', and its weight gradient
 * too from this many taps: on an H100, CNN-X's forwards 0.072 / 0.085 / 0.129 ms at 3x3 / 5x5 / 9x9 against 0.15 /
 * 0.20 / 0.28 for the best other variant; weight gradients (with 128-thread workgroups) 0.34-0.37 against 0.44-0.52
 * ('subgroup') at 9x9 and 0.248-0.251 against 0.275-0.280 at 5x5, but 0.22-1.28 against 0.16 ('depthwise') at 3x3.
 */
const HW_PATCH_MAX_CIN = 4;
const HW_PATCH_WEIGHT_MIN_TAPS = 25;
/** Input channels per group below which backward_weight_2_gemm beats backward_weight_3_subgroup (CNN-X's 1). */
const BW_SG_MIN_CIN = 4;

export const conv2dForward = defineKernel({
  name: 'conv2d.forward',
  shader: 'conv2d/forward',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'w', access: 'read' },
    { name: 'b', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [...GEOMETRY, ['hasBias', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, max) => elementwiseGrid({ n: p.batch * p.cout * p.oh * p.ow }, max),
});

const FWD_GEMM_PARAMS = [...GEOMETRY, ['hasBias', 'u32'], ['runs', 'u32'], ['mBlocks', 'u32']] as const;

/** forward_2_gemm specialised for `tm` channels and `qpl` quads per thread (one pipeline each). */
const forwardGemm = memoize((tm: number, qpl: number) =>
  defineKernel({
    name: 'conv2d.forward_2_gemm',
    shader: 'conv2d/forward_2_gemm',
    bindings: conv2dForward.bindings,
    params: FWD_GEMM_PARAMS,
    workgroupSize: [FWD_WG, 1, 1],
    grid: (p, max) => linearGrid(Math.ceil(p.runs / FWD_WG) * p.mBlocks * p.groups, max),
    constants: { TM: tm, QPL: qpl },
  }),
);

/**
 * forward_3_subgroup specialised for `tm` channels and `qpl` quads per thread, `wg` threads per workgroup, a
 * kh x kw kernel, whether a thread's pixels are two pairs (PAIRS, 1 or 0) rather than a run along one row, whether
 * the weights come tap-major (TAP_MAJOR), and whether a kernel row's taps are summed before the accumulators take
 * them (TAP_SUMS).
 */
const forwardSubgroup = memoize(
  (tm: number, qpl: number, wg: number, kh: number, kw: number, pairs: number, tapMajor: number, tapSums: number,
    affine: number, residual: number) =>
    defineKernel({
      name: 'conv2d.forward_3_subgroup',
      shader: 'conv2d/forward_3_subgroup',
      bindings: [...conv2dForward.bindings, { name: 'wq', access: 'read' }, STATS_BINDING, RES_BINDING],
      params: FWD_GEMM_PARAMS,
      workgroupSize: [wg, 1, 1],
      grid: (p, max) => linearGrid(Math.ceil(p.runs / wg) * p.mBlocks * p.groups, max),
      constants: {
        TM: tm, QPL: qpl, KH: kh, KW: kw, PAIRS: pairs, TAP_MAJOR: tapMajor, TAP_SUMS: tapSums, AFFINE: affine,
        RESIDUAL: residual,
      },
    }),
);

/** batchnorm2d's [5, cout] stats rows, for the forward kernels that apply an eval-mode batch norm as they store. */
const STATS_BINDING = { name: 'stats', access: 'read' } as const;
/** The identity a residual block adds, for the forward kernels that end the block as they store. */
const RES_BINDING = { name: 'res', access: 'read' } as const;

/** The weights of forward_3_subgroup's 32-channel tiles regrouped by K step, a vec4 a lane (its TAP_MAJOR). */
export const conv2dTapMajorWeights = defineKernel({
  name: 'conv2d.tap_major_weights',
  shader: 'conv2d/tap_major_weights',
  bindings: [
    { name: 'w', access: 'read' },
    { name: 'wq', access: 'read_write' },
  ],
  params: [['coutG', 'u32'], ['kSize', 'u32'], ['mBlocks', 'u32'], ['quads', 'u32']],
  workgroupSize: [FLIP_WG, 1, 1],
  grid: (p, max) => linearGrid(Math.ceil(p.quads / FLIP_WG), max),
});

/**
 * forward_4_pointwise specialised for `tm` channels and `qpl` quads per thread, `wg` threads per workgroup, whether
 * it loads a block's inputs first (INPUTS_FIRST), and whether it loads weights and inputs as vec4s (W_QUADS,
 * X_QUADS; each 1 or 0).
 */
const forwardPointwise = memoize(
  (tm: number, qpl: number, wg: number, inputsFirst: number, wQuads: number, xQuads: number, affine: number,
    residual: number) =>
    defineKernel({
      name: 'conv2d.forward_4_pointwise',
      shader: 'conv2d/forward_4_pointwise',
      bindings: [
        ...conv2dForward.bindings, { name: 'w4', access: 'read' }, { name: 'x4', access: 'read' }, STATS_BINDING,
        RES_BINDING,
      ],
      params: [
        ['batch', 'u32'], ['cin', 'u32'], ['cout', 'u32'], ['groups', 'u32'], ['w', 'u32'], ['inPlane', 'u32'], ['ow', 'u32'],
        ['plane', 'u32'], ['strideH', 'u32'], ['strideW', 'u32'], ['hasBias', 'u32'], ['runsPerPlane', 'u32'], ['mBlocks', 'u32'],
      ],
      workgroupSize: [wg, 1, 1],
      grid: (p, max) => linearGrid(Math.ceil((p.batch * p.runsPerPlane) / wg) * p.mBlocks * p.groups, max),
      constants: {
        TM: tm, QPL: qpl, INPUTS_FIRST: inputsFirst, W_QUADS: wQuads, X_QUADS: xQuads, AFFINE: affine,
        RESIDUAL: residual,
      },
    }),
);

/**
 * forward_5_tiled with TILE x TILE blocks ((TILE / 4)^2 threads, 4 x 4 outputs each), K in one or more splits, and
 * the epilogue it applies as it stores (AFFINE, RESIDUAL: one split only).
 */
const forwardTiled = memoize((tile: number, affine: number, residual: number) =>
  defineKernel({
    name: 'conv2d.forward_5_tiled',
    shader: 'conv2d/forward_5_tiled',
    bindings: [...conv2dForward.bindings, STATS_BINDING, RES_BINDING],
    params: [...GEOMETRY, ['hasBias', 'u32'], ['mBlocks', 'u32'], ['nBlocks', 'u32'], ['kChunk', 'u32'], ['splits', 'u32']],
    workgroupSize: [(tile / 4) ** 2, 1, 1],
    grid: (p, max) => linearGrid(p.nBlocks * p.mBlocks * p.groups * p.splits, max),
    constants: { TILE: tile, AFFINE: affine, RESIDUAL: residual },
  }),
);

/** A split-K forward_5_tiled's sum with the epilogue its output takes (sum_partials_affine.wgsl). */
const sumPartialsAffine = memoize((affine: number, residual: number) =>
  defineKernel({
    name: 'conv2d.sum_partials_affine',
    shader: 'conv2d/sum_partials_affine',
    bindings: [{ name: 'partial', access: 'read' }, { name: 'y', access: 'read_write' }, STATS_BINDING, RES_BINDING],
    params: [['count', 'u32'], ['parts', 'u32'], ['partsPerGroup', 'u32'], ['cout', 'u32'], ['plane', 'u32']],
    workgroupSize: [ELEMENTWISE_WG, 1, 1],
    grid: (p, max) => elementwiseGrid({ n: p.count }, max),
    constants: { AFFINE: affine, RESIDUAL: residual },
  }),
);

/** The multi depthwise shaders' x as vec4s, for rows read in aligned quads (depthwise_window_quads.wgsl). */
const X4_BINDING = { name: 'x4', access: 'read' } as const;

/**
 * forward_6_depthwise for `strip` columns per thread and a kh x kw kernel; with tmc > 1, or a kernel past its own,
 * forward_6_depthwise_multi, `tmc` output channels per thread.
 */
const forwardDepthwise = memoize((strip: number, kh: number, kw: number, tmc: number, quadsOff: number) => {
  const multi = multiKernel(tmc, kh, kw);
  return defineKernel({
    name: multi ? 'conv2d.forward_6_depthwise_multi' : 'conv2d.forward_6_depthwise',
    shader: multi ? 'conv2d/forward_6_depthwise_multi' : 'conv2d/forward_6_depthwise',
    bindings: multi ? [...conv2dForward.bindings, X4_BINDING] : conv2dForward.bindings,
    params: [...GEOMETRY, ['hasBias', 'u32'], ['strips', 'u32'], ['rowsPerChunk', 'u32'], ['chunks', 'u32']],
    workgroupSize: [DW_WG, 1, 1],
    grid: (p, max) => linearGrid(Math.ceil((p.batch * (p.cout / tmc) * p.chunks * p.strips) / DW_WG), max),
    constants: { STRIP: strip, KH: kh, KW: kw, ...(multi ? multiConstants(tmc, quadsOff) : {}) },
  });
});

/** Whether a depthwise forward of `tmc` channels a thread and a kh x kw kernel runs forward_6_depthwise_multi. */
function multiKernel(tmc: number, kh: number, kw: number): boolean {
  return tmc > 1 || Math.max(kh, kw) > DW_MAX_K;
}

/** forward_6_depthwise_multi that also writes the batch statistics partials of y (batchnorm2d's layout) to `part`. */
const forwardDepthwiseStats = memoize((strip: number, kh: number, kw: number, tmc: number, quadsOff: number) => {
  const plain = forwardDepthwise(strip, kh, kw, tmc, quadsOff);
  return defineKernel({
    ...plain,
    name: 'conv2d.forward_6_depthwise_multi_stats',
    shader: 'conv2d/forward_6_depthwise_multi_stats',
    bindings: [...plain.bindings, { name: 'part', access: 'read_write' }],
  });
});

/**
 * The multi depthwise shaders' TMC, and QUADS and OFF for rows read in aligned quads from `off` on (-1: as scalars).
 */
function multiConstants(tmc: number, off: number): Record<string, number> {
  return { TMC: tmc, QUADS: off < 0 ? 0 : 1, OFF: Math.max(0, off) };
}

/**
 * Where a strip's inputs start in the first of the aligned quads depthwise_window_quads.wgsl reads ((-padW) mod 4),
 * or -1 where a multi depthwise shader reads its rows as scalars: rows of w % 4 != 0, or a window row too short.
 */
function depthwiseRowQuads(g: Conv2dGeometry, strip: number): number {
  const off = (4 - (g.padW % 4)) % 4;
  const row = Math.max(...DW_STRIPS) + DW_MULTI_MAX_K - 1; // the shaders' MAX_ROW
  return g.w % 4 === 0 && off + strip + g.kw - 1 <= row ? off : -1;
}

/**
 * forward_6_depthwise_reduce for `strip` columns x `rows` rows per thread, a kh x kw kernel, and input rows starting
 * `off` columns into their first quad.
 */
const forwardDepthwiseReduce = memoize((strip: number, rows: number, kh: number, kw: number, off: number) =>
  defineKernel({
    name: 'conv2d.forward_6_depthwise_reduce',
    shader: 'conv2d/forward_6_depthwise_reduce',
    bindings: conv2dForward.bindings,
    params: [...GEOMETRY, ['hasBias', 'u32'], ['strips', 'u32'], ['blocks', 'u32'], ['wgPerPlane', 'u32']],
    workgroupSize: [DW_WG, 1, 1],
    grid: (p, max) => linearGrid(p.batch * p.cout * p.wgPerPlane, max),
    constants: { STRIP: strip, ROWS: rows, KH: kh, KW: kw, OFF: off },
  }),
);

/** Whether forward_6_depthwise_reduce takes a conv (stride and dilation 1 checked by the caller). */
function depthwiseReduceApplies(g: Conv2dGeometry): boolean {
  return g.cout === g.groups && g.w % 4 === 0 && g.kh <= DW_REDUCE_MAX_K && g.kw <= DW_REDUCE_MAX_K;
}

/**
 * forward_6_depthwise's output channels per thread on a software device: with a channel multiplier, the most of 4,
 * 2, 1 that divides it and keeps the thread's weights within DW_MAX_WEIGHTS (CNN-X: 4 at 3x3, 2 at 5x5, 1 at 9x9).
 * Hardware GPUs keep one channel a thread (measured on lavapipe only).
 */
function depthwiseChannels(g: Conv2dGeometry, device?: Conv2dDevice): number {
  if (device?.isSoftware === false) return 1;
  const multiplier = g.cout / g.groups;
  return [4, 2, 1].find((t) => multiplier % t === 0 && t * g.kh * g.kw <= DW_MAX_WEIGHTS) ?? 1;
}
/**
 * forward_7_patch for a kh x kw kernel (constants, so that its tap loops unroll): blocks of PATCH_FORWARD_BLOCK
 * pixels x 16 channels, 128 threads; with `stats` = 1 forward_7_patch_stats, which also writes the batch statistics
 * partials of y (batchnorm2d's layout) to `part`.
 */
const conv2dForwardPatch = memoize((kh: number, kw: number, stats: number) =>
  defineKernel({
    name: stats ? 'conv2d.forward_7_patch_stats' : 'conv2d.forward_7_patch',
    shader: stats ? 'conv2d/forward_7_patch_stats' : 'conv2d/forward_7_patch',
    bindings: stats ? [...conv2dForward.bindings, { name: 'part', access: 'read_write' }] : conv2dForward.bindings,
    params: [...GEOMETRY, ['hasBias', 'u32'], ['mBlocks', 'u32'], ['tilesX', 'u32'], ['tilesY', 'u32']],
    workgroupSize: [PATCH_FORWARD_WG, 1, 1],
    grid: (p, max) => linearGrid(p.tilesX * p.tilesY * p.batch * p.mBlocks, max),
    constants: { KH: kh, KW: kw },
  }),
);

/**
 * The plane chunks of the batch statistics partials runConv2dForward writes with `statsPart` at this geometry on
 * `device` ((count, mean, M2) per sample, channel and chunk, as batchnorm2d's stats pass writes them), or null when
 * the variant it would run cannot write them. 'patch' writes one chunk per block of output pixels; 'depthwise', where
 * it runs forward_6_depthwise_multi (CNN-X's convs on a software device), one per thread: a strip of a chunk of rows.
 */
export function conv2dForwardStatsChunks(g: Conv2dGeometry, device?: Conv2dDevice): number | null {
  const variant = chooseConv2dVariant('forward', g, device);
  if (variant === 'patch') {
    return Math.ceil(g.ow / PATCH_FORWARD_BLOCK.cols) * Math.ceil(g.oh / PATCH_FORWARD_BLOCK.rows);
  }
  if (variant === 'depthwise' && depthwiseWritesStats(g, device)) {
    const layout = depthwiseForwardLayout(g, device);
    return layout.strips * layout.chunks;
  }
  return null;
}

/** Whether 'depthwise' runs forward_6_depthwise_multi here, which can write batch statistics on the way. */
function depthwiseWritesStats(g: Conv2dGeometry, device?: Conv2dDevice): boolean {
  return g.cin === g.groups && multiKernel(depthwiseChannels(g, device), g.kh, g.kw);
}

/** Channels per group and K (cin/groups * kh * kw) from which a hardware GPU's forward runs forward_5_tiled. */
const TILED_MIN_COUT = 32;
const TILED_MIN_K = 64;
/** dx elements from which a hardware GPU's strided input gradient runs 'strided' rather than the reference kernel. */
const STRIDED_MIN_DX = 1 << 20;
/**
 * forward_5_tiled's blocks: 64x64 where that still makes this many workgroups, else 32x32 (batch 1's small maps).
 */
const TILED_MIN_WORKGROUPS = 256;
/**
 * With fewer 32x32 blocks than TILED_SPLIT_WORKGROUPS, a hardware GPU splits K into up to TILED_MAX_SPLITS parts of
 * at least TILED_MIN_SPLIT_K (ResNet-50's 7 x 7 convs at batch 1 are 32 blocks for K = 4,608), added by
 * sum_partials. A block's 64 threads leave an H100 mostly idle at batch 1: aiming at 1,024 workgroups in parts of 64
 * or more, not 256 in parts of 128, took ResNet-50 inference at batch 1 from 13.1 to 11.5 ms and a training step at
 * batch 4 from 87.2 to 78.0 (batch 15 inference 26.1 against 27.1, within that run's spread).
 */
const TILED_SPLIT_WORKGROUPS = 1024;
const TILED_MAX_SPLITS = 64;
const TILED_MIN_SPLIT_K = 64;

export const conv2dBackwardInput = defineKernel({
  name: 'conv2d.backward_input',
  shader: 'conv2d/backward_input',
  bindings: [
    { name: 'dy', access: 'read' },
    { name: 'w', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: GEOMETRY,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, max) => elementwiseGrid({ n: p.batch * p.cin * p.h * p.w }, max),
});

/** backward_input_2_strided specialised for `tm` channels and `qpl` quads per thread. */
const backwardInputStrided = memoize((tm: number, qpl: number) =>
  defineKernel({
    name: 'conv2d.backward_input_2_strided',
    shader: 'conv2d/backward_input_2_strided',
    bindings: conv2dBackwardInput.bindings,
    params: [...GEOMETRY, ['rowsJ', 'u32'], ['runsPerRow', 'u32'], ['runs', 'u32'], ['mBlocks', 'u32']],
    workgroupSize: [FWD_WG, 1, 1],
    grid: (p, max) => linearGrid(Math.ceil(p.runs / FWD_WG) * p.strideH * p.strideW * p.mBlocks * p.groups, max),
    constants: { TM: tm, QPL: qpl },
  }),
);

/**
 * backward_input_3_strided_subgroup specialised for `tm` input channels and `qpl` quads per thread, `wg` threads per
 * workgroup, and a phase's `ty` x `tx` taps.
 */
const backwardInputStridedSubgroup = memoize((tm: number, qpl: number, wg: number, ty: number, tx: number) =>
  defineKernel({
    name: 'conv2d.backward_input_3_strided_subgroup',
    shader: 'conv2d/backward_input_3_strided_subgroup',
    bindings: conv2dBackwardInput.bindings,
    params: [
      ...GEOMETRY, ['rowsJ', 'u32'], ['runsPerRow', 'u32'], ['runs', 'u32'], ['mBlocks', 'u32'], ['phase', 'u32'],
    ],
    workgroupSize: [wg, 1, 1],
    grid: (p, max) => linearGrid(Math.ceil(p.runs / wg) * p.mBlocks * p.groups, max),
    constants: { TM: tm, QPL: qpl, TY: ty, TX: tx },
  }),
);

export const conv2dScatterStrided = defineKernel({
  name: 'conv2d.scatter_strided',
  shader: 'conv2d/scatter_strided',
  bindings: [
    { name: 't', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['h', 'u32'], ['w', 'u32'], ['oh', 'u32'], ['ow', 'u32'], ['strideH', 'u32'], ['strideW', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

/** pack_planes: a 1x1 conv's inputs (strided) or outputs in planes padded to a multiple of 4 pixels. */
const conv2dPackPlanes = defineKernel({
  name: 'conv2d.pack_planes',
  shader: 'conv2d/pack_planes',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'out', access: 'read_write' },
  ],
  params: [
    ['planes', 'u32'], ['h', 'u32'], ['w', 'u32'], ['oh', 'u32'], ['ow', 'u32'], ['strideH', 'u32'], ['strideW', 'u32'],
    ['quads', 'u32'],
  ],
  workgroupSize: [PACK_WG, 1, 1],
  grid: (p, max) => linearGrid(Math.ceil((p.planes * p.quads) / PACK_WG), max),
});

export const conv2dFlipWeights = defineKernel({
  name: 'conv2d.flip_weights',
  shader: 'conv2d/flip_weights',
  bindings: [
    { name: 'w', access: 'read' },
    { name: 'wf', access: 'read_write' },
  ],
  params: [['cin', 'u32'], ['cout', 'u32'], ['kh', 'u32'], ['kw', 'u32'], ['groups', 'u32']],
  workgroupSize: [FLIP_WG, 1, 1],
  grid: (p, max) => linearGrid(Math.ceil((p.cin * p.cout) / p.groups / FLIP_WG), max),
});

/** flip_weights for 1x1 kernels with channels per group a multiple of 4: a 4 x 4 block a thread. */
export const conv2dFlipWeightsPointwise = defineKernel({
  ...conv2dFlipWeights,
  name: 'conv2d.flip_weights_1_pointwise',
  shader: 'conv2d/flip_weights_1_pointwise',
  grid: (p, max) => linearGrid(Math.ceil((p.cin * p.cout) / p.groups / 16 / FLIP_WG), max),
});

export const conv2dBackwardWeight = defineKernel({
  name: 'conv2d.backward_weight',
  shader: 'conv2d/backward_weight',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'dy', access: 'read' },
    { name: 'partial', access: 'read_write' },
  ],
  params: [...GEOMETRY, ['chunk', 'u32'], ['chunks', 'u32']],
  workgroupSize: [REDUCE_WG, 1, 1],
  grid: (p, max) => linearGrid(weightCount(p) * p.chunks, max),
});

/** How backward_weight_6_pointwise and backward_weight_3_subgroup_planes split the pixels (planeQuadParts). */
const PLANE_PARTS_PARAMS = [
  ['plane4', 'u32'], ['imagesPerPart', 'u32'], ['chunks', 'u32'], ['chunkQuads', 'u32'], ['parts', 'u32'],
] as const;

const BW_GEMM_PARAMS = [...GEOMETRY, ['rowsPerPart', 'u32'], ['parts', 'u32'], ['mBlocks', 'u32'], ['rBlocks', 'u32']] as const;

/**
 * A weight-gradient kernel tiled as backward_weight_2_gemm (tm channels x tr weight rows x kw taps per thread, one
 * thread per part, the bias gradient too when bias = 1), one spec per tile.
 */
function gemmWeightKernel(shader: string): (tm: number, tr: number, kw: number, bias: number) => KernelSpec {
  return memoize((tm: number, tr: number, kw: number, bias: number) =>
    defineKernel({
      name: `conv2d.${shader}`,
      shader: `conv2d/${shader}`,
      bindings: conv2dBackwardWeight.bindings,
      params: BW_GEMM_PARAMS,
      workgroupSize: [BW_WG, 1, 1],
      grid: (p, max) => linearGrid(Math.ceil(p.parts / BW_WG) * p.mBlocks * p.rBlocks * p.groups, max),
      constants: { TM: tm, TR: tr, KW: kw, BIAS: bias },
    }),
  );
}

const backwardWeightGemm = gemmWeightKernel('backward_weight_2_gemm');
/** Output rows of a multiple of 4 pixels: dy read as vec4 quads. */
const backwardWeightGemmQuads = gemmWeightKernel('backward_weight_2_gemm_quads');

type SubgroupWeightParam = 'groups' | 'parts' | 'mBlocks' | 'kBlocks';

/**
 * A weight-gradient kernel tiled as backward_weight_3_subgroup (tm channels x tc weight columns per thread, `wg`
 * threads per workgroup, one workgroup per part, column block, channel block and group; the bias gradient too when
 * bias = 1), one spec per tile. `params` are its shader's Params fields; `slides`: it takes SLIDE (the fifth argument).
 */
function subgroupWeightKernel<P extends string>(
  shader: string,
  params: readonly (readonly [P | SubgroupWeightParam, 'u32'])[],
  slides = false,
): (tm: number, tc: number, wg: number, bias: number, slide: number) => KernelSpec {
  return memoize((tm: number, tc: number, wg: number, bias: number, slide: number) =>
    defineKernel<P | SubgroupWeightParam>({
      name: `conv2d.${shader}`,
      shader: `conv2d/${shader}`,
      bindings: conv2dBackwardWeight.bindings,
      params,
      workgroupSize: [wg, 1, 1],
      grid: (p, max) => linearGrid(p.parts * p.kBlocks * p.mBlocks * p.groups, max),
      constants: { TM: tm, TC: tc, BIAS: bias, ...(slides ? { SLIDE: slide } : {}) },
    }),
  );
}

/** Walks the pixels row by row, each part a range of output rows; taps slid along rows (slidingTaps). */
const backwardWeightSubgroup = subgroupWeightKernel(
  'backward_weight_3_subgroup',
  [...GEOMETRY, ['rowsPerPart', 'u32'], ['parts', 'u32'], ['mBlocks', 'u32'], ['kBlocks', 'u32']],
  true,
);
/** 1x1 kernels at stride 1 without padding: x and dy read as vec4 quads (planeQuadParts). */
const backwardWeightPointwise = subgroupWeightKernel('backward_weight_6_pointwise', [
  ['batch', 'u32'], ['cin', 'u32'], ['cout', 'u32'], ['groups', 'u32'], ...PLANE_PARTS_PARAMS,
  ['mBlocks', 'u32'], ['kBlocks', 'u32'],
]);
/** Planes walked by quads across rows (subgroupPlanesApply, planeQuadParts); taps slid as the row walk's. */
const backwardWeightSubgroupPlanes = subgroupWeightKernel(
  'backward_weight_3_subgroup_planes',
  [...GEOMETRY, ...PLANE_PARTS_PARAMS, ['mBlocks', 'u32'], ['kBlocks', 'u32']],
  true,
);

/**
 * backward_weight_5_patch for `tm` channels per workgroup of `wg` threads and kernels up to 4 * nv wide, with the bias
 * gradient when bias = 1.
 */
const backwardWeightPatch = memoize((tm: number, wg: number, nv: number, bias: number) =>
  defineKernel({
    name: 'conv2d.backward_weight_5_patch',
    shader: 'conv2d/backward_weight_5_patch',
    bindings: conv2dBackwardWeight.bindings,
    params: [...GEOMETRY, ['tilesX', 'u32'], ['tilesY', 'u32'], ['tilesPerPart', 'u32'], ['parts', 'u32'], ['mBlocks', 'u32']],
    workgroupSize: [wg, 1, 1],
    grid: (p, max) => linearGrid(p.parts * p.mBlocks, max),
    constants: { TM: tm, NV: nv, BIAS: bias },
  }),
);

/** backward_weight_4_depthwise for `strip` columns per thread and a kh x kw kernel, with the bias gradient when bias = 1. */
const backwardWeightDepthwise = memoize(
  (strip: number, kh: number, kw: number, bias: number, tmc: number, quadsOff: number) =>
    defineKernel({
      name: tmc > 1 ? 'conv2d.backward_weight_4_depthwise_multi' : 'conv2d.backward_weight_4_depthwise',
      shader: tmc > 1 ? 'conv2d/backward_weight_4_depthwise_multi' : 'conv2d/backward_weight_4_depthwise',
      bindings: tmc > 1 ? [...conv2dBackwardWeight.bindings, X4_BINDING] : conv2dBackwardWeight.bindings,
      params: [
        ...GEOMETRY,
        ['strips', 'u32'], ['rowsPerChunk', 'u32'], ['chunks', 'u32'], ['imagesPerPart', 'u32'], ['parts', 'u32'],
      ],
      workgroupSize: [DW_WG, 1, 1],
      grid: (p, max) => linearGrid(Math.ceil(((p.cout / tmc) * p.parts) / DW_WG), max),
      constants: { STRIP: strip, KH: kh, KW: kw, BIAS: bias, ...(tmc > 1 ? multiConstants(tmc, quadsOff) : {}) },
    }),
);

/**
 * backward_weight_4_depthwise's output channels per thread on a software device: with a channel multiplier and rows
 * of a multiple of 4 pixels (its multi sibling reads dy as vec4s), the first of DW_WEIGHT_CHANNELS that divides the
 * multiplier and keeps the thread's sums within its bound (CNN-X: 4 at 3x3, 2 at 5x5 and 9x9), else 1. Hardware GPUs
 * keep one channel a thread: the multi kernels are measured on lavapipe only.
 */
function depthwiseWeightChannels(g: Conv2dGeometry, device?: Conv2dDevice): number {
  if (device?.isSoftware === false || g.ow % 4 !== 0) return 1;
  const multiplier = g.cout / g.groups;
  const fit = DW_WEIGHT_CHANNELS.find(({ tmc, maxSums }) => multiplier % tmc === 0 && tmc * g.kh * g.kw <= maxSums);
  return fit?.tmc ?? 1;
}

export const conv2dBackwardBias = defineKernel({
  name: 'conv2d.backward_bias',
  shader: 'conv2d/backward_bias',
  bindings: [
    { name: 'dy', access: 'read' },
    { name: 'partial', access: 'read_write' },
  ],
  params: [['batch', 'u32'], ['cout', 'u32'], ['plane', 'u32'], ['chunk', 'u32'], ['pieces', 'u32']],
  workgroupSize: [REDUCE_WG, 1, 1],
  grid: (p, max) => linearGrid(p.cout * p.batch * p.pieces, max),
});

/** 'direct' handles any shape; 'vec4' needs oh*ow % 4 == 0. */
export type Conv2dBiasVariant = 'direct' | 'vec4';
export const CONV2D_BIAS_VARIANTS: readonly Conv2dBiasVariant[] = ['direct', 'vec4'];
/** Threads per workgroup and floats per workgroup of backward_bias_1_vec4 (see batchnorm2d.ts for why 16 wide). */
const BIAS_WG = 16;
const BIAS_CHUNK = 4096;

export const conv2dBackwardBiasVec4 = defineKernel({
  name: 'conv2d.backward_bias_1_vec4',
  shader: 'conv2d/backward_bias_1_vec4',
  bindings: [
    { name: 'dy', access: 'read' },
    { name: 'partial', access: 'read_write' },
  ],
  params: [['hw', 'u32'], ['cout', 'u32'], ['items', 'u32'], ['chunks', 'u32'], ['groups', 'u32']],
  workgroupSize: [BIAS_WG, 1, 1],
  grid: (p, max) => linearGrid(p.groups, max),
});

export const conv2dSumPartials = defineKernel({
  name: 'conv2d.sum_partials',
  shader: 'conv2d/sum_partials',
  bindings: [
    { name: 'partial', access: 'read' },
    { name: 'out', access: 'read_write' },
  ],
  params: [['count', 'u32'], ['parts', 'u32'], ['partsPerGroup', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, max) => elementwiseGrid({ n: p.count * Math.ceil(p.parts / p.partsPerGroup) }, max),
});

export const conv2dSumPartialsSplit = defineKernel({
  name: 'conv2d.sum_partials_split',
  shader: 'conv2d/sum_partials_split',
  bindings: [
    { name: 'partial', access: 'read' },
    { name: 'out', access: 'read_write' },
    { name: 'tail', access: 'read_write' },
  ],
  params: [['count', 'u32'], ['parts', 'u32'], ['partsPerGroup', 'u32'], ['split', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, max) => elementwiseGrid({ n: p.count }, max),
});

/**
 * out = the sum of `parts` partial sums of `count` floats each (partial is [parts, count]), in a fixed order. Past
 * SUM_GROUP parts in two passes, groups of SUM_GROUP parts and then the groups' sums: a thread adds its parts one
 * after another, and a hardware GPU wants the weight gradient split into thousands of parts. With `tail`, the sum's
 * elements from `tail.split` on go to tail.buffer instead (a weight gradient's bias, summed in the same parts).
 */
export function runSumPartials(
  gpu: Gpu,
  partial: Binding,
  parts: number,
  count: number,
  out: Binding,
  tail?: { buffer: GPUBuffer; split: number },
): void {
  const last = (from: Binding, n: number): void => {
    const params = { count, parts: n, partsPerGroup: n };
    if (tail) gpu.run(conv2dSumPartialsSplit, { ...params, split: tail.split }, [from, out, tail.buffer]);
    else gpu.run(conv2dSumPartials, params, [from, out]);
  };
  if (parts <= SUM_GROUP) {
    last(partial, parts);
    return;
  }
  const groups = Math.ceil(parts / SUM_GROUP);
  const sums = gpu.alloc(groups * count * 4, 'conv2d.sum_partials:groups');
  gpu.run(conv2dSumPartials, { count, parts, partsPerGroup: SUM_GROUP }, [partial, sums]);
  last(sums, groups);
  gpu.free(sums);
}

/** Whether a patch variant handles this geometry: ungrouped, stride 1, dilation 1, and its patch fits (see the shaders). */
function patchApplies(pass: 'forward' | 'backwardWeight', g: Conv2dGeometry): boolean {
  const plain = g.groups === 1 && g.strideH === 1 && g.strideW === 1 && g.dilH === 1 && g.dilW === 1;
  if (!plain || g.kh > PATCH_MAX_K || g.kw > PATCH_MAX_K) return false;
  if (pass === 'forward') return g.kh * g.kw <= PATCH_MAX_TAPS;
  return patchWeightFits(g, 4) && g.cin * patchWeightPlane(g) <= PATCH_WEIGHT_PATCH;
}

/**
 * Whether backward_weight_5_patch takes `tm` channels a workgroup here: a thread per (channel quad, input channel,
 * kernel row, block row), and per (quad, input channel, kernel row) 4 * ceil(kw / 4) + 1 vec4 sums in its dy tile.
 */
function patchWeightFits(g: Conv2dGeometry, tm: number): boolean {
  const slots = (tm / 4) * g.cin * g.kh;
  const sums = slots * (4 * Math.ceil(g.kw / 4) + 1);
  return slots * PATCH_WEIGHT_BLOCK.rows <= PATCH_WEIGHT_WG && sums <= PATCH_WEIGHT_SUMS;
}

/** Values of one input channel's patch in backward_weight_5_patch (rows padded to an odd length). */
function patchWeightPlane(g: Conv2dGeometry): number {
  return (PATCH_WEIGHT_BLOCK.rows + g.kh - 1) * ((PATCH_WEIGHT_BLOCK.cols + g.kw - 1) | 1);
}

function weightCount(g: Pick<Conv2dGeometry, 'cout' | 'cin' | 'groups' | 'kh' | 'kw'>): number {
  return g.cout * (g.cin / g.groups) * g.kh * g.kw;
}

/**
 * The backward_weight_2_gemm tile (tm channels x tr weight rows) with the fewest loads per pixel: every tile reads tm
 * dy values and tr x values per pixel, so the cost is tiles * (tm + tr), with rows split evenly across row blocks.
 */
function backwardWeightTile(coutG: number, rowsTotal: number, kw: number): { tm: number; tr: number } {
  let best = { tm: 1, tr: 1, cost: Infinity };
  for (let tm = 1; tm <= pow2AtMost(coutG, BW_TM); tm *= 2) {
    const trMax = Math.min(rowsTotal, BW_MAX_TR, Math.floor(BW_ACC / (tm * kw)));
    if (trMax < 1) break;
    const rBlocks = Math.ceil(rowsTotal / trMax);
    const tr = Math.ceil(rowsTotal / rBlocks);
    const cost = Math.ceil(coutG / tm) * rBlocks * (tm + tr);
    if (cost < best.cost) best = { tm, tr, cost };
  }
  return best;
}

/**
 * The subgroup variants' tile: the largest TM (8, 16 or 32, at most `maxTm`) that pads the group's channels by at most
 * a quarter, and as many pixel quads (at most 2) as the accumulators allow.
 */
function subgroupTile(coutG: number, maxTm: number): { tm: number; qpl: number } {
  let tm = SG_LANES;
  for (let t = maxTm; t > SG_LANES; t /= 2) {
    if (Math.ceil(coutG / t) * t <= 1.25 * coutG) {
      tm = t;
      break;
    }
  }
  return { tm, qpl: Math.min(2, SG_ACC / tm) };
}

/**
 * Whether forward_3_subgroup's threads take two pixel pairs each (PAIRS) instead of a quad along one row: on a software
 * device, for rows of 2 mod 4 pixels (ResNet-50's 14 x 14 stage, where a row's last quad would leave half its lanes
 * idle) whose inputs slide along the kernel row (strideW == dilW). A pair loads one input per tap where a quad loads
 * one for four pixels, so rows that quads fill keep them. Only with one quad a thread (QPL = 1).
 */
function forwardPairs(g: Conv2dGeometry, device: Conv2dDevice): boolean {
  return device.isSoftware !== false && g.ow % 4 === 2 && g.strideW === g.dilW;
}

/**
 * Output planes up to which a software device runs forward_4_pointwise with its inputs loaded first, 32 x 1 tiles
 * (lavapipe, ResNet-50's 1x1s at batch 15: 52-56 ms against 60-74 at 28 x 28, 14 x 14 and 7 x 7; at 56 x 56 78-83
 * against 63-73).
 */
const POINTWISE_INPUTS_FIRST_MAX_PLANE = 28 * 28;

/**
 * forward_4_pointwise's tile: 16 channels x 2 quads, or 32 x 1 when that wastes fewer threads (plane 196: 25 runs of 8
 * pixels pad to 32 threads, 49 runs of 4 to 56 for half the channel blocks). Both do 128 FMAs per thread and K step.
 * A software device loads the inputs first (one quad a thread) on planes up to POINTWISE_INPUTS_FIRST_MAX_PLANE.
 */
function pointwiseTile(
  coutG: number,
  batch: number,
  plane: number,
  software: boolean,
): { tm: number; qpl: number; inputsFirst: boolean } {
  if (software && plane <= POINTWISE_INPUTS_FIRST_MAX_PLANE) {
    return { tm: subgroupTile(coutG, SG_MAX_TM).tm, qpl: 1, inputsFirst: true };
  }
  const cost = (t: { tm: number; qpl: number }): number => {
    const runs = batch * Math.ceil(plane / (4 * t.qpl));
    return Math.ceil(runs / SG_LANES) * SG_LANES * Math.ceil(coutG / t.tm) * t.tm * t.qpl;
  };
  const pair = subgroupTile(coutG, 16);
  const single = subgroupTile(coutG, SG_MAX_TM);
  return { ...(single.qpl === 1 && cost(single) < cost(pair) ? single : pair), inputsFirst: false };
}

/**
 * Threads per workgroup of the subgroup variants, one per run: the largest of 64, 32, 16, 8 that pads `runs` by at
 * most 1/16 more than 8 does. A padding thread costs as much as a working one (it computes a copy of the last run),
 * and at batch 1 runs are few: 196 runs in workgroups of 64 would waste 23% of the work, in workgroups of 8 2%.
 */
function subgroupWorkgroup(runs: number, device: Conv2dDevice): number {
  if (device.isSoftware === false) return runs <= 32 ? 32 : SG_WG; // a hardware subgroup is 32 or 64 lanes: fill one
  const padded = (wg: number): number => Math.ceil(runs / wg) * wg;
  let wg = SG_WG;
  while (wg > SG_LANES && padded(wg) > padded(SG_LANES) + runs / 16) wg /= 2;
  return wg;
}

/**
 * backward_weight_3_subgroup's tile: TM channels (16 unless that pads the group's by over a quarter) x TC columns
 * within `acc` accumulators, at most 4 (wider tiles that do not slide their taps are not measured).
 */
function backwardWeightSubgroupTile(coutG: number, acc: number): { tm: number; tc: number } {
  const tm = Math.ceil(coutG / 16) * 16 <= 1.25 * coutG ? 16 : SG_LANES;
  return { tm, tc: Math.min(4, acc / tm) };
}

/**
 * The depthwise variants' strip width: the one that loads and stores the fewest values per output row, counting the
 * KW - 1 overlap columns each strip loads and the columns past the row a last partial strip computes for nothing.
 */
function depthwiseStrip(ow: number, kw: number): number {
  const cost = (strip: number): number => Math.ceil(ow / strip) * (2 * strip + kw - 1);
  return DW_STRIPS.reduce((best, strip) => (cost(strip) < cost(best) ? strip : best));
}

/**
 * The depthwise kernels' chunks of output rows: on a hardware GPU at most `hardwareRows` a chunk; on a software device
 * whole planes, cut only as far as keeping DW_SOFTWARE_MIN_THREADS threads takes (`threadsPerChunk` threads per chunk
 * of every plane), into `maxChunks` at most. Each chunk reloads its threads' weights and its first KH - 1 input rows
 * for nothing: on lavapipe (2-core AMD EPYC), CNN-X at batch 15, taking turns in one process, whole planes against
 * chunks of 32 rows ran the forward's 9x9 in 36.0-37.3 ms against 48.1-56.0, 5x5 14.7-17.2 against 17.9-22.4, 3x3
 * 10.1-10.8 against 10.8-11.2; and against chunks of 64 the weight gradient's 9x9 29.5-30.6 against 34.3-36.6, 5x5
 * 12.6-13.7 against 13.9-14.7 (quieter rounds), 3x3 10.4-11.2 against 10.7-20.5.
 */
function depthwiseChunksFor(
  g: Conv2dGeometry,
  device: Conv2dDevice | undefined,
  hardwareRows: number,
  threadsPerChunk: number,
  maxChunks = g.oh,
): { rowsPerChunk: number; chunks: number } {
  if (device?.isSoftware === false) return depthwiseChunks(g.oh, hardwareRows);
  const wanted = Math.ceil(DW_SOFTWARE_MIN_THREADS / threadsPerChunk);
  const chunks = Math.max(1, Math.min(g.oh, maxChunks, wanted));
  return depthwiseChunks(g.oh, Math.ceil(g.oh / chunks));
}

/** The 'depthwise' forward's strips, channels a thread and chunks of rows (forward_6_depthwise and its multi one). */
function depthwiseForwardLayout(g: Conv2dGeometry, device?: Conv2dDevice): {
  strip: number; strips: number; tmc: number; rowsPerChunk: number; chunks: number;
} {
  const strip = depthwiseStrip(g.ow, g.kw);
  const strips = Math.ceil(g.ow / strip);
  const tmc = depthwiseChannels(g, device);
  return { strip, strips, tmc, ...depthwiseChunksFor(g, device, DW_FORWARD_ROWS, g.batch * (g.cout / tmc) * strips) };
}

/** Output rows per chunk: at most `maxRows`, split evenly. */
function depthwiseChunks(oh: number, maxRows: number): { rowsPerChunk: number; chunks: number } {
  const chunks = Math.ceil(oh / maxRows);
  return { rowsPerChunk: Math.ceil(oh / chunks), chunks };
}

/** Smallest power of two >= n, at most `max`. */
function pow2AtMost(n: number, max: number): number {
  return Math.min(max, 2 ** Math.ceil(Math.log2(n)));
}

function geometryParams(g: Conv2dGeometry): ParamValues<GeometryField> {
  const { batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups } = g;
  return { batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups };
}

/**
 * An eval-mode batch norm (and its fused ReLU) that alone reads a conv's output, applied by the conv's forward kernel
 * as it stores (affine_epilogue.wgsl): `stats` holds batchnorm2d's [5, cout] stats rows.
 */
export interface Conv2dAffine {
  stats: GPUBuffer;
  relu: boolean;
  /**
   * A residual block's end: each output becomes max(batchnorm + residual, 0), the identity added and the block's
   * ReLU applied (relu must be false: the ReLU comes after the add). Shaped like y.
   */
  residual?: Binding;
}

/** The forward variants that take a Conv2dAffine. */
const AFFINE_VARIANTS: readonly Conv2dVariant[] = ['pointwise', 'subgroup', 'tiled', 'winograd'];

/** Whether the forward variant this device runs for the conv applies a batch norm as it stores (Conv2dAffine). */
export function conv2dForwardTakesAffine(g: Conv2dGeometry, gpu: Gpu): boolean {
  return AFFINE_VARIANTS.includes(resolveVariant('forward', g, undefined, gpu));
}

/**
 * y = conv2d(x, w) + b (b may be null); y is overwritten. With `statsPart`, also y's batch statistics partials
 * (see conv2dForwardStatsChunks, which says whether the chosen variant writes them: it must). With `affine`, y is
 * the eval-mode batch norm (and ReLU) of that instead (conv2dForwardTakesAffine says where the variant applies it).
 * With `tapMajor`, w already regrouped (runConv2dTapMajorWeights, from this w): the 'subgroup' forward reads it at
 * any size instead of regrouping w itself; other variants ignore it.
 */
export function runConv2dForward(
  gpu: Gpu,
  x: Binding,
  w: GPUBuffer,
  b: GPUBuffer | null,
  y: Binding,
  g: Conv2dGeometry,
  variant?: Conv2dVariant,
  statsPart?: GPUBuffer,
  affine?: Conv2dAffine,
  tapMajor?: GPUBuffer,
): void {
  // Without a bias the b binding still needs a buffer; the shaders never read it.
  const params = { ...geometryParams(g), hasBias: b ? 1 : 0 };
  const chosen = resolveVariant('forward', g, variant, gpu);
  if (statsPart && chosen !== 'patch' && !(chosen === 'depthwise' && depthwiseWritesStats(g, gpu))) {
    throw new RangeError(`conv2d forward: variant '${chosen}' does not write batch statistics at this shape`);
  }
  if (affine && (statsPart || !AFFINE_VARIANTS.includes(chosen))) {
    throw new RangeError(`conv2d forward: variant '${chosen}' does not apply a batch norm as it stores`);
  }
  if (affine?.residual && affine.relu) {
    throw new RangeError('conv2d forward: a residual end applies its ReLU after the add, not the batch norm\'s');
  }
  const affineMode = !affine ? 0 : affine.relu ? 2 : 1;
  const residual = affine?.residual ? 1 : 0;
  // Buffers where nothing reads them fill the bindings the shader declares.
  const stats = affine?.stats ?? w;
  const res = affine?.residual ?? w;
  if (chosen === 'direct') {
    gpu.run(conv2dForward, params, [x, w, b ?? w, y]);
    return;
  }
  if (chosen === 'winograd') {
    runWinogradForward(gpu, x, w, b, y, g, { affine: affineMode, residual, stats, res }, pointwiseProduct(gpu));
    return;
  }
  const coutG = g.cout / g.groups;
  if (chosen === 'pointwise') {
    const plane = g.oh * g.ow;
    const { tm, qpl, inputsFirst } = pointwiseTile(coutG, g.batch, plane, gpu.isSoftware !== false);
    const runsPerPlane = Math.ceil(plane / (4 * qpl));
    // With inputs first a run's inputs are one aligned vec4 (X_QUADS) where the stride is 1 and planes hold 4k
    // pixels; other inputs are packed so first (pack_planes: the pixels the stride keeps, planes padded to 4k, one
    // scalar load each), since the product reads each input once per block of TM output channels.
    const quads = Math.ceil(plane / 4);
    const dense = g.strideH === 1 && g.strideW === 1 && plane % 4 === 0;
    const pack = inputsFirst && !dense && 16 * g.batch * g.cin * quads <= gpu.limits.maxStorageBufferBindingSize;
    const xQuads = inputsFirst && (dense || pack);
    const xs = pack ? packInputPlanes(gpu, x, g, quads, 'conv2d.forward:x_packed') : null;
    // Packed, x's planes are 4 * quads pixels apart, at stride 1, in rows as wide as y's.
    const layout = xs
      ? { w: g.ow, inPlane: 4 * quads, strideH: 1, strideW: 1 }
      : { w: g.w, inPlane: g.h * g.w, strideH: g.strideH, strideW: g.strideW };
    const pointwise = {
      batch: g.batch, cin: g.cin, cout: g.cout, groups: g.groups, ow: g.ow, plane, hasBias: params.hasBias, runsPerPlane,
      mBlocks: Math.ceil(coutG / tm), ...layout,
    };
    // Weights as vec4s for whole quads of input channels.
    const wQuads = (g.cin / g.groups) % 4 === 0;
    const wg = subgroupWorkgroup(g.batch * runsPerPlane, gpu);
    const flags = [wQuads ? 1 : 0, xQuads ? 1 : 0] as const;
    const spec = forwardPointwise(tm, qpl, wg, inputsFirst ? 1 : 0, ...flags, affineMode, residual);
    gpu.run(spec, pointwise, [xs ?? x, w, b ?? w, y, w, xQuads ? (xs ?? x) : w, stats, res]);
    if (xs) gpu.free(xs);
    return;
  }
  if (chosen === 'depthwise' && g.cin !== g.groups) {
    const rows = reduceRows(g.kh);
    const strips = Math.ceil(g.ow / DW_REDUCE_STRIP);
    const blocks = Math.ceil(g.oh / rows);
    const reduce = { ...params, strips, blocks, wgPerPlane: Math.ceil((strips * blocks) / DW_WG) };
    const spec = forwardDepthwiseReduce(DW_REDUCE_STRIP, rows, g.kh, g.kw, (4 - (g.padW % 4)) % 4);
    gpu.run(spec, reduce, [x, w, b ?? w, y]);
    return;
  }
  if (chosen === 'depthwise') {
    const { strip, strips, tmc, rowsPerChunk, chunks } = depthwiseForwardLayout(g, gpu);
    const depthwise = { ...params, strips, rowsPerChunk, chunks };
    const multi = multiKernel(tmc, g.kh, g.kw);
    const off = multi ? depthwiseRowQuads(g, strip) : -1;
    // Without quads nothing reads x4; w fills it (a pooled buffer: 256 bytes or more, as a vec4 view needs 16).
    const buffers = multi ? [x, w, b ?? w, y, off >= 0 ? x : w] : [x, w, b ?? w, y];
    if (statsPart) gpu.run(forwardDepthwiseStats(strip, g.kh, g.kw, tmc, off), depthwise, [...buffers, statsPart]);
    else gpu.run(forwardDepthwise(strip, g.kh, g.kw, tmc, off), depthwise, buffers);
    return;
  }
  if (chosen === 'patch') {
    const tilesX = Math.ceil(g.ow / PATCH_FORWARD_BLOCK.cols);
    const tilesY = Math.ceil(g.oh / PATCH_FORWARD_BLOCK.rows);
    const mBlocks = Math.ceil(g.cout / PATCH_FORWARD_CHANNELS);
    const patch = { ...params, mBlocks, tilesX, tilesY };
    if (statsPart) gpu.run(conv2dForwardPatch(g.kh, g.kw, 1), patch, [x, w, b ?? w, y, statsPart]);
    else gpu.run(conv2dForwardPatch(g.kh, g.kw, 0), patch, [x, w, b ?? w, y]);
    return;
  }
  if (chosen === 'tiled') {
    runTiledForward(gpu, [x, w, b ?? w, y, stats, res], params, g, affineMode, residual);
    return;
  }
  if (chosen === 'subgroup') {
    const { tm, qpl } = subgroupTile(coutG, SG_MAX_TM);
    const pairs = qpl === 1 && forwardPairs(g, gpu);
    const runs = pairs ? Math.ceil((g.batch * g.oh * g.ow) / 4) : g.batch * g.oh * Math.ceil(g.ow / (4 * qpl));
    const mBlocks = Math.ceil(coutG / tm);
    const given = tm === SG_MAX_TM && tapMajor ? tapMajor : null;
    const wq = given ?? (tm === SG_MAX_TM ? tapMajorWeights(gpu, w, g, mBlocks) : null);
    const tapSums = tm === SG_MAX_TM && g.kw >= 2 && g.kw <= SG_MAX_TAP_SUMS;
    const spec = forwardSubgroup(tm, qpl, subgroupWorkgroup(runs, gpu), g.kh, g.kw, pairs ? 1 : 0, wq ? 1 : 0,
      tapSums ? 1 : 0, affineMode, residual);
    gpu.run(spec, { ...params, runs, mBlocks }, [x, w, b ?? w, y, wq ?? w, stats, res]);
    if (wq && !given) gpu.free(wq);
    return;
  }
  const tm = pow2AtMost(coutG, FWD_TM);
  const runs = g.batch * g.oh * Math.ceil(g.ow / (4 * FWD_QPL));
  gpu.run(forwardGemm(tm, FWD_QPL), { ...params, runs, mBlocks: Math.ceil(coutG / tm) }, [x, w, b ?? w, y]);
}

/**
 * forward_3_subgroup's weights for 32-channel tiles regrouped by K step (tap_major_weights), or null where that does
 * not pay: the regrouping costs about as much as reading the weights 4 times over (a scalar load per weight and
 * lane), and saves a tenth of the forward's time, so it needs TAP_MAJOR_MIN_PIXELS outputs per channel (a new
 * buffer: the caller frees it).
 */
function tapMajorWeights(gpu: Gpu, w: GPUBuffer, g: Conv2dGeometry, mBlocks: number): GPUBuffer | null {
  const quads = tapMajorQuads(g, mBlocks);
  if (g.batch * g.oh * g.ow < TAP_MAJOR_MIN_PIXELS || quads * 16 > gpu.limits.maxStorageBufferBindingSize) return null;
  const wq = gpu.alloc(quads * 16, 'conv2d.tap_major_weights:wq');
  runConv2dTapMajorWeights(gpu, w, wq, g);
  return wq;
}

function tapMajorK(g: Conv2dGeometry): number {
  return (g.cin / g.groups) * g.kh * g.kw;
}

/** The vec4s of the regrouped weights: 8 lanes' quads per K step of each 32-channel block. */
function tapMajorQuads(g: Conv2dGeometry, mBlocks: number): number {
  return g.groups * mBlocks * tapMajorK(g) * (SG_MAX_TM / 4);
}

/**
 * The floats of `g`'s weights regrouped by K step as this device's forward reads them (forward_3_subgroup's
 * 32-channel tiles), for a caller that keeps them across forwards (Conv2d.evalTapMajorWeights: in inference the
 * weights do not change, so the regrouping is paid once and the forward reads them at any size, not only from
 * TAP_MAJOR_MIN_PIXELS outputs on); 0 where that forward would not read them.
 */
export function conv2dTapMajorFloats(g: Conv2dGeometry, gpu: Gpu): number {
  const coutG = g.cout / g.groups;
  if (resolveVariant('forward', g, undefined, gpu) !== 'subgroup') return 0;
  if (subgroupTile(coutG, SG_MAX_TM).tm !== SG_MAX_TM) return 0;
  const quads = tapMajorQuads(g, Math.ceil(coutG / SG_MAX_TM));
  return quads * 16 > gpu.limits.maxStorageBufferBindingSize ? 0 : quads * 4;
}

/** Regroups w into `out` (conv2dTapMajorFloats floats) for runConv2dForward's `tapMajor`. */
export function runConv2dTapMajorWeights(gpu: Gpu, w: GPUBuffer, out: GPUBuffer, g: Conv2dGeometry): void {
  const mBlocks = Math.ceil(g.cout / g.groups / SG_MAX_TM);
  const quads = tapMajorQuads(g, mBlocks);
  gpu.run(conv2dTapMajorWeights, { coutG: g.cout / g.groups, kSize: tapMajorK(g), mBlocks, quads }, [w, out]);
}

/**
 * forward_5_tiled: 64x64 blocks where they still make TILED_MIN_WORKGROUPS workgroups, else 32x32; with fewer 32x32
 * blocks than TILED_SPLIT_WORKGROUPS, a hardware GPU splits K (each split writes its own copy of y, added by
 * sum_partials, or with an epilogue (affine, residual as forward_5_tiled takes them) by sum_partials_affine, which
 * applies it as it adds them).
 */
function runTiledForward(
  gpu: Gpu,
  [x, w, b, y, stats, res]: [Binding, GPUBuffer, GPUBuffer, Binding, GPUBuffer, Binding],
  params: ParamValues<GeometryField | 'hasBias'>,
  g: Conv2dGeometry,
  affine: number,
  residual: number,
): void {
  const coutG = g.cout / g.groups;
  const pixels = g.batch * g.oh * g.ow;
  const blocks = (tile: number): number => Math.ceil(coutG / tile) * Math.ceil(pixels / tile) * g.groups;
  const tile = blocks(64) >= TILED_MIN_WORKGROUPS ? 64 : 32;
  const kSize = (g.cin / g.groups) * g.kh * g.kw;
  const outputs = g.batch * g.cout * g.oh * g.ow;
  // Splits: enough to fill the GPU, each at least TILED_MIN_SPLIT_K of K, their copies of y within one binding.
  const wanted = gpu.isSoftware !== false ? 1 : Math.ceil(TILED_SPLIT_WORKGROUPS / blocks(tile));
  const fits = Math.floor(gpu.limits.maxStorageBufferBindingSize / (4 * outputs));
  const most = Math.max(1, Math.min(wanted, fits, TILED_MAX_SPLITS, Math.floor(kSize / TILED_MIN_SPLIT_K)));
  const kChunk = Math.ceil(kSize / most / 16) * 16; // whole steps of the shader's BK
  const splits = Math.ceil(kSize / kChunk);
  const tiled = { ...params, mBlocks: Math.ceil(coutG / tile), nBlocks: Math.ceil(pixels / tile), kChunk, splits };
  if (splits === 1) {
    gpu.run(forwardTiled(tile, affine, residual), tiled, [x, w, b, y, stats, res]);
    return;
  }
  const partial = gpu.alloc(splits * outputs * 4, 'conv2d.forward_5_tiled:splits');
  gpu.run(forwardTiled(tile, 0, 0), tiled, [x, w, b, partial, stats, res]);
  if (affine === 0) runSumPartials(gpu, partial, splits, outputs, y);
  else {
    const sum = { count: outputs, parts: splits, partsPerGroup: splits, cout: g.cout, plane: g.oh * g.ow };
    gpu.run(sumPartialsAffine(affine, residual), sum, [partial, y, stats, res]);
  }
  gpu.free(partial);
}

/**
 * Winograd's batched products (the forward's 36, or the weight gradient's sums): the pointwise forward, its tile chosen
 * for that shape.
 */
function pointwiseProduct(gpu: Gpu): WinogradProduct {
  return (input, weights, output, g) => runConv2dForward(gpu, input, weights, null, output, g, 'pointwise');
}

/** dx = the input gradient of conv2d for output gradient dy; dx is overwritten. */
export function runConv2dBackwardInput(
  gpu: Gpu,
  dy: Binding,
  w: GPUBuffer,
  dx: Binding,
  g: Conv2dGeometry,
  variant?: Conv2dVariant,
): void {
  const chosen = resolveVariant('backwardInput', g, variant, gpu);
  if (chosen === 'direct') {
    gpu.run(conv2dBackwardInput, geometryParams(g), [dy, w, dx]);
    return;
  }
  if (chosen === 'strided') {
    if (g.kh === 1 && g.kw === 1 && g.padH === 0 && g.padW === 0) runPointwiseStridedInputGradient(gpu, dy, w, dx, g);
    else runStridedInputGradient(gpu, dy, w, dx, g);
    return;
  }
  const wf = flipWeights(gpu, w, g);
  const transposed: Conv2dGeometry = {
    ...g,
    cin: g.cout,
    h: g.oh,
    w: g.ow,
    cout: g.cin,
    oh: g.h,
    ow: g.w,
    padH: g.dilH * (g.kh - 1) - g.padH,
    padW: g.dilW * (g.kw - 1) - g.padW,
  };
  runConv2dForward(gpu, dy, wf, null, dx, transposed);
  gpu.free(wf);
}

/** The transposed, flipped weights the input gradient convolves dy with (a new buffer: the caller frees it). */
function flipWeights(gpu: Gpu, w: GPUBuffer, g: Conv2dGeometry): GPUBuffer {
  const wf = gpu.alloc(weightCount(g) * 4, 'conv2d.flip_weights:wf');
  const blocks = g.kh === 1 && g.kw === 1 && (g.cin / g.groups) % 4 === 0 && (g.cout / g.groups) % 4 === 0;
  const spec = blocks ? conv2dFlipWeightsPointwise : conv2dFlipWeights;
  gpu.run(spec, { cin: g.cin, cout: g.cout, kh: g.kh, kw: g.kw, groups: g.groups }, [w, wf]);
  return wf;
}

/**
 * The input gradient of a strided conv as stride x stride phases: on a software device with subgroups, one dispatch
 * per phase of backward_input_3_strided_subgroup (3x faster on ResNet-50's stride-2 3x3s), else one of
 * backward_input_2_strided for all phases.
 */
function runStridedInputGradient(gpu: Gpu, dy: Binding, w: GPUBuffer, dx: Binding, g: Conv2dGeometry): void {
  // A phase row is w / stride long (7 for ResNet's 14 x 14 stride-2 convs): a run no longer than it wastes fewer
  // lanes, and the accumulators it frees hold more channels.
  const phaseW = Math.ceil(g.w / g.strideW);
  const rowsJ = Math.ceil(g.h / g.strideH);
  const cinG = g.cin / g.groups;
  if (gpu.isSoftware !== false && gpu.hasSubgroups && cinG >= SG_LANES) {
    const tile = subgroupTile(cinG, SG_MAX_TM);
    const qpl = Math.min(tile.qpl, Math.ceil(phaseW / 4));
    const runsPerRow = Math.ceil(phaseW / (4 * qpl));
    const runs = g.batch * rowsJ * runsPerRow;
    const params = { ...geometryParams(g), rowsJ, runsPerRow, runs, mBlocks: Math.ceil(cinG / tile.tm) };
    const wg = subgroupWorkgroup(runs, gpu);
    // One dispatch per phase, its taps along each axis as constants.
    const taps = (k: number, r: number, s: number): number => (r < k ? Math.ceil((k - r) / s) : 0);
    for (let py = 0; py < g.strideH; py++) {
      for (let px = 0; px < g.strideW; px++) {
        const ty = taps(g.kh, (py + g.padH) % g.strideH, g.strideH);
        const tx = taps(g.kw, (px + g.padW) % g.strideW, g.strideW);
        const spec = backwardInputStridedSubgroup(tile.tm, qpl, wg, ty, tx);
        gpu.run(spec, { ...params, phase: py * g.strideW + px }, [dy, w, dx]);
      }
    }
    return;
  }
  const qpl = Math.min(FWD_QPL, Math.ceil(phaseW / 4));
  const tm = pow2AtMost(cinG, STRIDED_ACC / qpl);
  const runsPerRow = Math.ceil(phaseW / (4 * qpl));
  const runs = g.batch * rowsJ * runsPerRow;
  const params = { ...geometryParams(g), rowsJ, runsPerRow, runs, mBlocks: Math.ceil(cinG / tm) };
  gpu.run(backwardInputStrided(tm, qpl), params, [dy, w, dx]);
}

/**
 * The input gradient of a 1x1 conv with stride > 1 and no padding: dy's pointwise conv with the transposed weights
 * lands on the inputs at multiples of the stride, and every other input gets 0. At ResNet-50's batch-1 downsampling
 * convs under lavapipe: 16-44 ms this way (flip, pointwise forward, scatter), 61-78 as one strided pass.
 */
function runPointwiseStridedInputGradient(gpu: Gpu, dy: Binding, w: GPUBuffer, dx: Binding, g: Conv2dGeometry): void {
  const wf = flipWeights(gpu, w, g);
  const kept = gpu.alloc(g.batch * g.cin * g.oh * g.ow * 4, 'conv2d.backward_input:kept');
  const pointwise: Conv2dGeometry = {
    ...g, cin: g.cout, h: g.oh, w: g.ow, cout: g.cin, strideH: 1, strideW: 1,
  };
  runConv2dForward(gpu, dy, wf, null, kept, pointwise);
  gpu.free(wf);
  const scatter = { n: g.batch * g.cin * g.oh * g.ow, h: g.h, w: g.w, oh: g.oh, ow: g.ow, strideH: g.strideH, strideW: g.strideW };
  gpu.run(conv2dScatterStrided, scatter, [kept, dx]);
  gpu.free(kept);
}

/**
 * dw = the weight gradient of conv2d, summed over batch and space in parts then partials; dw is overwritten. With
 * `db`, also the bias gradient: in the same pass for every variant but 'direct' (they load every
 * dy value anyway), by runConv2dBackwardBias after the reference 'direct' one.
 */
export function runConv2dBackwardWeight(
  gpu: Gpu,
  x: Binding,
  dy: Binding,
  dw: GPUBuffer,
  g: Conv2dGeometry,
  variant?: Conv2dVariant,
  db: GPUBuffer | null = null,
): void {
  const chosen = resolveVariant('backwardWeight', g, variant, gpu);
  if (chosen === 'winograd') {
    runWinogradWeightGradient(gpu, x, dy, dw, g, pointwiseProduct(gpu));
    if (db) runConv2dBackwardBias(gpu, dy, db, g);
    return;
  }
  const packed = chosen === 'subgroup' ? packedPointwiseGeometry(g, gpu) : null;
  if (packed) {
    runPackedPointwiseWeightGradient(gpu, x, dy, dw, g, packed, db);
    return;
  }
  const count = weightCount(g);
  // A part holds the weights, and with db the bias after them.
  const maxParts = Math.max(1, Math.floor(gpu.limits.maxStorageBufferBindingSize / ((count + (db ? g.cout : 0)) * 4)));
  let spec: KernelSpec;
  let params: Record<string, number>;
  const extra: Binding[] = []; // bindings a variant adds after x, dy and the output
  let parts: number;
  let dyPadded: GPUBuffer | null = null; // dy in planes padded to a multiple of 4 pixels, for the planes kernel
  if (chosen === 'subgroup' || chosen === 'pointwise') {
    const planes = chosen === 'subgroup' && (subgroupPlanesApply(g) || paddedPlanesApply(g, gpu));
    const slide = chosen === 'subgroup' && slidingTaps(g, gpu) ? g.kw : 0;
    const quads = chosen === 'pointwise' || planes;
    const { tm, tc, wg, mBlocks, kBlocks, wanted } = subgroupWeightTiling(g, gpu, maxParts, quads, slide);
    const bias = db ? 1 : 0;
    if (chosen === 'pointwise') {
      const split = planeQuadParts(g, wanted);
      parts = split.parts;
      spec = backwardWeightPointwise(tm, tc, wg, bias, 0);
      params = { batch: g.batch, cin: g.cin, cout: g.cout, groups: g.groups, ...split, mBlocks, kBlocks };
    } else if (planes) {
      const split = planeQuadParts(g, wanted);
      parts = split.parts;
      if (4 * split.plane4 !== g.oh * g.ow) dyPadded = packOutputPlanes(gpu, dy, g, split.plane4);
      spec = backwardWeightSubgroupPlanes(tm, tc, wg, bias, slide);
      params = { ...geometryParams(g), ...split, mBlocks, kBlocks };
    } else {
      const rows = g.batch * g.oh;
      const rowsPerPart = Math.ceil(rows / Math.max(1, Math.min(wanted, rows)));
      parts = Math.ceil(rows / rowsPerPart);
      spec = backwardWeightSubgroup(tm, tc, wg, bias, slide);
      params = { ...geometryParams(g), rowsPerPart, parts, mBlocks, kBlocks };
    }
  } else if (chosen === 'patch') {
    // As many channels per workgroup (up to 16) as one thread per (channel quad, input channel, kernel row, block
    // row) and the workgroup memory for the rows' sums allow.
    let tm = Math.max(4, pow2AtMost(g.cout, 16));
    while (tm > 4 && !patchWeightFits(g, tm)) tm /= 2;
    const threads = (tm / 4) * g.cin * g.kh * PATCH_WEIGHT_BLOCK.rows;
    const wg = Math.max(PATCH_WEIGHT_MIN_WG, Math.ceil(threads / 32) * 32);
    const mBlocks = Math.ceil(g.cout / tm);
    const tilesX = Math.ceil(g.ow / PATCH_WEIGHT_BLOCK.cols);
    const tilesY = Math.ceil(g.oh / PATCH_WEIGHT_BLOCK.rows);
    const tiles = g.batch * tilesX * tilesY;
    const target = gpu.isSoftware !== false ? PATCH_WEIGHT_WORKGROUPS.software : PATCH_WEIGHT_WORKGROUPS.hardware;
    const tilesPerPart = Math.ceil(tiles / Math.max(1, Math.min(Math.ceil(target / mBlocks), maxParts, tiles)));
    parts = Math.ceil(tiles / tilesPerPart);
    spec = backwardWeightPatch(tm, wg, Math.ceil(g.kw / 4), db ? 1 : 0);
    params = { ...geometryParams(g), tilesX, tilesY, tilesPerPart, parts, mBlocks };
  } else if (chosen === 'depthwise') {
    const strip = depthwiseStrip(g.ow, g.kw);
    const strips = Math.ceil(g.ow / strip);
    const tmc = depthwiseWeightChannels(g, gpu);
    // Each chunk is another part: at most as many as one binding holds.
    const maxChunks = Math.floor(maxParts / strips);
    const threadsPerChunk = g.batch * (g.cout / tmc) * strips;
    const { rowsPerChunk, chunks } = depthwiseChunksFor(g, gpu, DW_WEIGHT_ROWS, threadsPerChunk, maxChunks);
    // Several images per part while that leaves enough threads (fewer partials to write and add up), and as many
    // as it takes for the parts to fit one binding.
    const target = gpu.isSoftware !== false ? DW_WEIGHT_THREADS.software : DW_WEIGHT_THREADS.hardware;
    const threadsPerImage = (g.cout / tmc) * strips * chunks;
    const fits = Math.ceil(g.batch / Math.max(1, Math.floor(maxParts / (strips * chunks))));
    const byThreads = Math.max(1, Math.min(g.batch, Math.floor((threadsPerImage * g.batch) / target)));
    const imagesPerPart = Math.max(fits, byThreads);
    parts = Math.ceil(g.batch / imagesPerPart) * chunks * strips;
    const off = tmc > 1 ? depthwiseRowQuads(g, strip) : -1;
    spec = backwardWeightDepthwise(strip, g.kh, g.kw, db ? 1 : 0, tmc, off);
    params = { ...geometryParams(g), strips, rowsPerChunk, chunks, imagesPerPart, parts };
    // The multi shader's x4 (x as vec4s; without quads read by nothing, dy's rows of 4k pixels fill it).
    if (tmc > 1) extra.push(off >= 0 ? x : dy);
  } else if (chosen === 'gemm') {
    const coutG = g.cout / g.groups;
    const rowsTotal = (g.cin / g.groups) * g.kh;
    const { tm, tr } = backwardWeightTile(coutG, rowsTotal, g.kw);
    const rows = g.batch * g.oh;
    const rowsPerPart = Math.ceil(rows / Math.min(BW_PARTS, maxParts));
    parts = Math.ceil(rows / rowsPerPart);
    spec = (g.ow % 4 === 0 ? backwardWeightGemmQuads : backwardWeightGemm)(tm, tr, g.kw, db ? 1 : 0);
    params = { ...geometryParams(g), rowsPerPart, parts, mBlocks: Math.ceil(coutG / tm), rBlocks: Math.ceil(rowsTotal / tr) };
  } else {
    const chunk = Math.max(REDUCE_CHUNK, Math.ceil((g.batch * g.oh * g.ow) / maxParts));
    parts = Math.ceil((g.batch * g.oh * g.ow) / chunk);
    spec = conv2dBackwardWeight;
    params = { ...geometryParams(g), chunk, chunks: parts };
  }
  const fusedBias = db !== null && chosen !== 'direct';
  if (parts === 1 && !fusedBias) {
    // One part is dw itself, no partials to add: 41 of a ResNet-50 training step's 53 weight gradients at batch 4,
    // whose copies through sum_partials took 160 ms of the step on lavapipe.
    gpu.run(spec, params, [x, dyPadded ?? dy, dw, ...extra]);
    if (dyPadded) gpu.free(dyPadded);
    if (db) runConv2dBackwardBias(gpu, dy, db, g);
    return;
  }
  const stride = fusedBias ? count + g.cout : count; // floats per part: the weights, then the bias with fusedBias
  const partial = gpu.alloc(parts * stride * 4, `${spec.name}:partial`);
  gpu.run(spec, params, [x, dyPadded ?? dy, partial, ...extra]);
  if (dyPadded) gpu.free(dyPadded);
  if (fusedBias) {
    runSumPartials(gpu, partial, parts, stride, dw, { buffer: db, split: count });
  } else {
    runSumPartials(gpu, partial, parts, count, dw);
    if (db) runConv2dBackwardBias(gpu, dy, db, g);
  }
  gpu.free(partial);
}

/**
 * Where a software device runs a 1x1 conv's 'subgroup' weight gradient as 'pointwise' on packed planes (pack_planes):
 * no padding or dilation, and output planes not a multiple of 4 pixels or a stride over 1, which 'pointwise' does not
 * take (so 'subgroup' is what the rules pick there, and what `cnnx tune` times is what runs). Returns the packed
 * geometry: one row of the planes' pixels padded to a multiple of 4, at stride 1; or null. Lavapipe, ResNet-50 at
 * batch 4 (row walk or planes kernel before): the 7 x 7 stage's 1x1s 38-40 -> 18-20 ms, its downsampling 1x1s
 * 88 -> 35 (to 7 x 7), 41-44 -> 31 (14 x 14), 38 -> 31 (28 x 28).
 */
function packedPointwiseGeometry(g: Conv2dGeometry, device: Conv2dDevice): Conv2dGeometry | null {
  if (device.isSoftware === false || g.kh !== 1 || g.kw !== 1 || g.padH !== 0 || g.padW !== 0) return null;
  if (g.dilH !== 1 || g.dilW !== 1) return null;
  const plane = g.oh * g.ow;
  if (plane % 4 === 0 && g.strideH === 1 && g.strideW === 1) return null;
  const padded = Math.ceil(plane / 4) * 4;
  const packed = { ...g, h: 1, w: padded, oh: 1, ow: padded, strideH: 1, strideW: 1 };
  return conv2dVariantApplies('backwardWeight', 'pointwise', packed, device) ? packed : null;
}

/**
 * The pixels a 1x1 conv of `g` without padding reads from x, packed by pack_planes into planes of 4 * quads (zeros past
 * oh*ow): a new buffer, the caller frees it.
 */
function packInputPlanes(gpu: Gpu, x: Binding, g: Conv2dGeometry, quads: number, label: string): GPUBuffer {
  const xs = gpu.alloc(g.batch * g.cin * quads * 16, label);
  const planes = { planes: g.batch * g.cin, h: g.h, w: g.w, oh: g.oh, ow: g.ow, quads };
  gpu.run(conv2dPackPlanes, { ...planes, strideH: g.strideH, strideW: g.strideW }, [x, xs]);
  return xs;
}

/** dy (`g`'s output) in planes of 4 * quads pixels, zeros past oh*ow (pack_planes): a new buffer, the caller frees it. */
function packOutputPlanes(gpu: Gpu, dy: Binding, g: Conv2dGeometry, quads: number): GPUBuffer {
  const dys = gpu.alloc(g.batch * g.cout * quads * 16, 'conv2d.pack_planes:dy');
  const planes = { planes: g.batch * g.cout, h: g.oh, w: g.ow, oh: g.oh, ow: g.ow, quads };
  gpu.run(conv2dPackPlanes, { ...planes, strideH: 1, strideW: 1 }, [dy, dys]);
  return dys;
}

/** The weight gradient of a 1x1 conv over x and dy packed into `packed`'s planes (packedPointwiseGeometry). */
function runPackedPointwiseWeightGradient(
  gpu: Gpu,
  x: Binding,
  dy: Binding,
  dw: GPUBuffer,
  g: Conv2dGeometry,
  packed: Conv2dGeometry,
  db: GPUBuffer | null,
): void {
  const xs = packInputPlanes(gpu, x, g, packed.ow / 4, 'conv2d.pack_planes:x');
  // dy's planes need packing only where they are not a multiple of 4 (a stride alone leaves them dense).
  const dys = packed.ow !== g.oh * g.ow ? packOutputPlanes(gpu, dy, g, packed.ow / 4) : null;
  runConv2dBackwardWeight(gpu, xs, dys ?? dy, dw, packed, 'pointwise', db);
  gpu.free(xs);
  if (dys) gpu.free(dys);
}

/**
 * The tiling 'subgroup' and 'pointwise' weight gradients share: their tile (backwardWeightSubgroupTile; `quads`: the
 * kernels that walk planes a quad at a time, wider on a software device, SG_QUAD_WEIGHT_ACC; `slide`: kw where the
 * kernels slide their taps, SLIDE_ROWS kernel rows a thread), workgroup
 * (one thread per TC of the K = cin/groups*kh*kw columns), block counts, and the parts the pixels are split into
 * (`wanted`: enough for the device's workgroup target, at most what one binding and the device allow).
 */
function subgroupWeightTiling(
  g: Conv2dGeometry,
  gpu: Gpu,
  maxParts: number,
  quads: boolean,
  slide: number,
): { tm: number; tc: number; wg: number; mBlocks: number; kBlocks: number; wanted: number } {
  const coutG = g.cout / g.groups;
  const kSize = (g.cin / g.groups) * g.kh * g.kw;
  const software = gpu.isSoftware !== false;
  const tile = backwardWeightSubgroupTile(coutG, software && quads ? SG_QUAD_WEIGHT_ACC : SG_ACC);
  const { tm, tc } = slide > 0 ? { tm: tile.tm, tc: SLIDE_ROWS * slide } : tile;
  const wg = subgroupWorkgroup(Math.ceil(kSize / tc), gpu);
  const mBlocks = Math.ceil(coutG / tm);
  const kBlocks = Math.ceil(kSize / (wg * tc));
  const target = software ? BW_SG_WORKGROUPS.software : BW_SG_WORKGROUPS.hardware;
  const cap = software ? maxParts : Math.min(maxParts, BW_SG_MAX_PARTS);
  const wanted = Math.min(Math.ceil(target / (mBlocks * kBlocks * g.groups)), cap);
  return { tm, tc, wg, mBlocks, kBlocks, wanted };
}

/**
 * The weight-gradient kernels that walk whole planes a quad at a time (backward_weight_6_pointwise,
 * backward_weight_3_subgroup_planes) split the pixels into about `wanted` parts: whole images per part while there
 * are at least that many images, else ranges of each plane's quads.
 */
function planeQuadParts(g: Conv2dGeometry, wanted: number): ParamValues<(typeof PLANE_PARTS_PARAMS)[number][0]> {
  const plane4 = Math.ceil((g.oh * g.ow) / 4);
  const parts = Math.max(1, wanted);
  let imagesPerPart = 1;
  let chunks = 1;
  if (parts <= g.batch) imagesPerPart = Math.ceil(g.batch / parts);
  else chunks = Math.min(plane4, Math.floor(parts / g.batch));
  const chunkQuads = Math.ceil(plane4 / chunks);
  chunks = Math.ceil(plane4 / chunkQuads);
  return { plane4, imagesPerPart, chunks, chunkQuads, parts: Math.ceil(g.batch / imagesPerPart) * chunks };
}

/**
 * Whether the 'subgroup' weight gradients slide their taps along kernel rows (SLIDE): on a software device, for 3x3
 * kernels (the one size measured) at stride and dilation 1 along rows.
 */
function slidingTaps(g: Conv2dGeometry, device: Conv2dDevice): boolean {
  return device.isSoftware !== false && g.kw === 3 && g.strideW === 1 && g.dilW === 1;
}

/** Whether backward_weight_3_subgroup_planes takes this geometry: planes of a multiple of 4 pixels, rows of 4+. */
function subgroupPlanesApply(g: Conv2dGeometry): boolean {
  return (g.oh * g.ow) % 4 === 0 && g.ow >= 4;
}

/**
 * Whether a software device runs backward_weight_3_subgroup_planes on dy packed into planes of a multiple of 4 pixels
 * (pack_planes) where the planes are not: ResNet-50's 7 x 7 stage, rows of 4 or more. Lavapipe, its 3x3 [512 -> 512]
 * against the row walk (backward_weight_3_subgroup): batch 4 45-46 -> 39-40 ms, 65-66 -> 44-45 at stride 2; batch 15
 * 155 -> 132.
 */
function paddedPlanesApply(g: Conv2dGeometry, device: Conv2dDevice): boolean {
  return device.isSoftware !== false && (g.oh * g.ow) % 4 !== 0 && g.ow >= 4;
}

/** The fastest backward_bias variant for this geometry. */
export function conv2dBiasVariant(g: Pick<Conv2dGeometry, 'oh' | 'ow'>): Conv2dBiasVariant {
  return (g.oh * g.ow) % 4 === 0 ? 'vec4' : 'direct';
}

/** db[co] = sum of dy over batch and space, in pieces then partials; db is overwritten. */
export function runConv2dBackwardBias(
  gpu: Gpu,
  dy: Binding,
  db: GPUBuffer,
  g: Conv2dGeometry,
  variant = conv2dBiasVariant(g),
): void {
  const plane = g.oh * g.ow;
  if (variant === 'vec4') {
    if (plane % 4 !== 0) throw new RangeError(`conv2d backward_bias: variant 'vec4' needs oh*ow % 4 == 0, got ${plane}`);
    const hw = plane / 4;
    const items = Math.max(1, Math.min(BIAS_CHUNK / 4 / BIAS_WG, Math.ceil(hw / BIAS_WG)));
    const chunks = Math.ceil(hw / (BIAS_WG * items));
    const partial = gpu.alloc(g.batch * chunks * g.cout * 4, 'conv2d.backward_bias_1_vec4:partial');
    const params = { hw, cout: g.cout, items, chunks, groups: g.batch * g.cout * chunks };
    gpu.run(conv2dBackwardBiasVec4, params, [dy, partial]);
    runSumPartials(gpu, partial, g.batch * chunks, g.cout, db);
    gpu.free(partial);
    return;
  }
  const pieces = Math.ceil(plane / REDUCE_CHUNK);
  const chunk = Math.ceil(plane / pieces);
  const partial = gpu.alloc(g.batch * pieces * g.cout * 4, 'conv2d.backward_bias:partial');
  gpu.run(conv2dBackwardBias, { batch: g.batch, cout: g.cout, plane, chunk, pieces }, [dy, partial]);
  runSumPartials(gpu, partial, g.batch * pieces, g.cout, db);
  gpu.free(partial);
}
