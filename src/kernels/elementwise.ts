/**
 * Grid layouts shared by elementwise kernels.
 * - One thread per element: ELEMENTWISE_WG threads a workgroup, elementwiseGrid({n}).
 * - Vec4 streams (fill, relu, add): kernels read and write vec4s, since every pooled buffer is a multiple of
 *   256 bytes, so the last partial vec4 only touches the buffer's unused tail. Each thread handles VEC4_ITEMS
 *   vec4s strided by the workgroup size: on a CPU rasteriser (lavapipe) a thread's fixed cost is large, so fewer
 *   threads doing more work each run several times faster; on a GPU it is the usual grid-stride loop.
 */
import { linearGrid } from './kernel.js';

export const ELEMENTWISE_WG = 256;

export function elementwiseGrid(p: { n: number }, maxPerDim: number): [number, number, number] {
  return linearGrid(Math.ceil(p.n / ELEMENTWISE_WG), maxPerDim);
}

export const VEC4_WG = 64;
export const VEC4_ITEMS = 8;
export const VEC4_CONSTANTS = { ITEMS: VEC4_ITEMS } as const;

/** Vec4 kernels count vec4s in Params: n4 = ceil(n / 4). */
export function vec4Count(n: number): number {
  return Math.ceil(n / 4);
}

export function vec4Grid(p: { n4: number }, maxPerDim: number): [number, number, number] {
  return linearGrid(Math.ceil(p.n4 / (VEC4_WG * VEC4_ITEMS)), maxPerDim);
}
