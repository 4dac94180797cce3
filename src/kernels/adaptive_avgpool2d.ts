/**
 * adaptive_avgpool2d: means over PyTorch's adaptive windows; global average pooling ([1, 1]) of large planes uses a
 * workgroup reduction per plane (forward_1_global) instead of one thread looping over the plane, and its gradient is
 * a broadcast, one thread filling each plane (backward_1_global). Small planes (ResNet's 7 x 7 head) are read and
 * summed and filled 4 planes a thread with vec4 loads and stores (forward_2_planes4, backward_2_planes4), bit for bit as
 * the others.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid, type KernelSpec } from './kernel.js';
import { ELEMENTWISE_WG } from './elementwise.js';

export interface AdaptiveGeometry {
  planes: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
}

const PARAMS = [['planes', 'u32'], ['h', 'u32'], ['w', 'u32'], ['oh', 'u32'], ['ow', 'u32']] as const;

/**
 * Planes at least this large (32x32) are reduced by a workgroup when the output is [1, 1]; below it one thread per
 * plane loops, which lavapipe runs as fast (measured on [32, 512, 10, 10]: loop 3 ms, reduction 12 ms of CPU).
 */
export const GLOBAL_REDUCE_MIN = 1024;
const GLOBAL_WG = 16;
const GLOBAL_BACKWARD_WG = 64;

export const adaptiveAvgpool2dForward = defineKernel({
  name: 'adaptive_avgpool2d.forward',
  shader: 'adaptive_avgpool2d/forward',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.oh * p.ow) / ELEMENTWISE_WG), maxPerDim),
});

export const adaptiveAvgpool2dForwardGlobal = defineKernel({
  name: 'adaptive_avgpool2d.forward_1_global',
  shader: 'adaptive_avgpool2d/forward_1_global',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: PARAMS,
  workgroupSize: [GLOBAL_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(p.planes, maxPerDim),
});

type AdaptiveParam = (typeof PARAMS)[number][0];
const sizedSpecs = new Map<string, KernelSpec<AdaptiveParam>>();
/** forward_2_planes4 or backward_2_planes4 for planes of `hw` elements (one pipeline per size). */
function planes4Spec(pass: 'forward' | 'backward', hw: number): KernelSpec<AdaptiveParam> {
  const key = `${pass}:${hw}`;
  let spec = sizedSpecs.get(key);
  if (!spec) {
    spec = defineKernel({
      name: `adaptive_avgpool2d.${pass}_2_planes4`,
      shader: `adaptive_avgpool2d/${pass}_2_planes4`,
      bindings: pass === 'forward' ? adaptiveAvgpool2dForward.bindings : adaptiveAvgpool2dBackward.bindings,
      params: PARAMS,
      workgroupSize: [ELEMENTWISE_WG, 1, 1],
      grid: (p, maxPerDim) => linearGrid(Math.ceil(p.planes / 4 / ELEMENTWISE_WG), maxPerDim),
      constants: { HW: hw },
    });
    sizedSpecs.set(key, spec);
  }
  return spec;
}
/** Largest plane the planes4 variants take (their loops are unrolled: 4 * HW adds or picks). */
const PLANES4_MAX_HW = 64;

export const adaptiveAvgpool2dBackward = defineKernel({
  name: 'adaptive_avgpool2d.backward',
  shader: 'adaptive_avgpool2d/backward',
  bindings: [
    { name: 'dy', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: PARAMS,
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil((p.planes * p.h * p.w) / ELEMENTWISE_WG), maxPerDim),
});

/** The broadcast gradient of a [1, 1] output, a thread per plane. */
export const adaptiveAvgpool2dBackwardGlobal = defineKernel({
  name: 'adaptive_avgpool2d.backward_1_global',
  shader: 'adaptive_avgpool2d/backward_1_global',
  bindings: adaptiveAvgpool2dBackward.bindings,
  params: PARAMS,
  workgroupSize: [GLOBAL_BACKWARD_WG, 1, 1],
  grid: (p, maxPerDim) => linearGrid(Math.ceil(p.planes / GLOBAL_BACKWARD_WG), maxPerDim),
});

export type AdaptiveForwardVariant = 'direct' | 'global' | 'planes4';
export type AdaptiveBackwardVariant = 'direct' | 'global' | 'planes4';

export function adaptiveForwardVariant(g: AdaptiveGeometry): AdaptiveForwardVariant {
  if (g.oh !== 1 || g.ow !== 1) return 'direct';
  if (g.h * g.w >= GLOBAL_REDUCE_MIN) return 'global';
  return planes4Applies(g) ? 'planes4' : 'direct';
}

/** The planes4 variants take a [1, 1] output of planes up to PLANES4_MAX_HW elements, a multiple of 4 of them. */
export function planes4Applies(g: AdaptiveGeometry): boolean {
  return g.oh === 1 && g.ow === 1 && g.planes % 4 === 0 && g.h * g.w <= PLANES4_MAX_HW;
}

/** `variant` is for tests and benchmarks; by default the faster one for this shape. */
export function runAdaptiveAvgpool2dForward(gpu: Gpu, x: Binding, y: Binding, g: AdaptiveGeometry,
  variant = adaptiveForwardVariant(g)): void {
  const { planes, h, w, oh, ow } = g;
  if (variant === 'global' && (oh !== 1 || ow !== 1)) throw new RangeError(`forward_1_global needs output [1, 1], not [${oh}, ${ow}]`);
  if (variant === 'planes4') {
    runPlanes4(gpu, 'forward', g, [x, y]);
    return;
  }
  gpu.run(variant === 'global' ? adaptiveAvgpool2dForwardGlobal : adaptiveAvgpool2dForward, { planes, h, w, oh, ow }, [x, y]);
}

function runPlanes4(gpu: Gpu, pass: 'forward' | 'backward', g: AdaptiveGeometry, buffers: [Binding, Binding]): void {
  if (!planes4Applies(g)) {
    throw new RangeError(
      `${pass}_2_planes4 needs output [1, 1], planes a multiple of 4 and h*w <= ${PLANES4_MAX_HW}, not ${JSON.stringify(g)}`,
    );
  }
  const { planes, h, w, oh, ow } = g;
  gpu.run(planes4Spec(pass, h * w), { planes, h, w, oh, ow }, buffers);
}

export function adaptiveBackwardVariant(g: AdaptiveGeometry): AdaptiveBackwardVariant {
  if (g.oh !== 1 || g.ow !== 1) return 'direct';
  return planes4Applies(g) ? 'planes4' : 'global';
}

/** `variant` is for tests and benchmarks; by default the faster one for this shape. */
export function runAdaptiveAvgpool2dBackward(gpu: Gpu, dy: Binding, dx: Binding, g: AdaptiveGeometry,
  variant = adaptiveBackwardVariant(g)): void {
  const { planes, h, w, oh, ow } = g;
  if (variant === 'global' && (oh !== 1 || ow !== 1)) throw new RangeError(`backward_1_global needs output [1, 1], not [${oh}, ${ow}]`);
  if (variant === 'planes4') {
    runPlanes4(gpu, 'backward', g, [dy, dx]);
    return;
  }
  gpu.run(variant === 'global' ? adaptiveAvgpool2dBackwardGlobal : adaptiveAvgpool2dBackward, { planes, h, w, oh, ow }, [dy, dx]);
}
