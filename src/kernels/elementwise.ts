/** Grid helper shared by one-thread-per-element kernels. */
import { linearGrid } from './kernel.js';

export const ELEMENTWISE_WG = 256;

export function elementwiseGrid(p: { n: number }, maxPerDim: number): [number, number, number] {
  return linearGrid(Math.ceil(p.n / ELEMENTWISE_WG), maxPerDim);
}
