/**
 * Grid layouts shared by elementwise kernels.
 * - One thread per element: ELEMENTWISE_WG threads a workgroup, elementwiseGrid({n}).
 * - Vec4 streams (fill, relu, add): kernels read and write vec4s, since every pooled buffer is a multiple of
 *   256 bytes, so the last partial vec4 only touches the buffer's unused tail. One vec4 a thread, VEC4_WG threads a
 *   workgroup. Under lavapipe (2-core AMD EPYC, 12 Mi floats) this streams 1.1-2x as fast as the 8 vec4s a thread
 *   strided by 64 these kernels had before: a loop with two loads in it ran add and relu's backward at half speed
 *   (bench/copy_forms.ts: add 82 -> 43 ms, relu backward 81 -> 39, copy 42 -> 33); 128 threads beat 64 and 256.
 */
import { linearGrid } from './kernel.js';

export const ELEMENTWISE_WG = 256;

export function elementwiseGrid(p: { n: number }, maxPerDim: number): [number, number, number] {
  return linearGrid(Math.ceil(p.n / ELEMENTWISE_WG), maxPerDim);
}

export const VEC4_WG = 128;

/** Vec4 kernels count vec4s in Params: n4 = ceil(n / 4). */
export function vec4Count(n: number): number {
  return Math.ceil(n / 4);
}

export function vec4Grid(p: { n4: number }, maxPerDim: number): [number, number, number] {
  return linearGrid(Math.ceil(p.n4 / VEC4_WG), maxPerDim);
}
