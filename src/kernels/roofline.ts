/**
 * roofline: the two kernels that measure a device's roofs for `cnnx bench`: FMA throughput (shaders/roofline/fma.wgsl,
 * 8 independent vec4 FMA chains per thread) and copy bandwidth (shaders/roofline/copy.wgsl, a vec4 copy). The FMA
 * kernel takes its rounds per loop iteration as an override constant, the copy its threads per workgroup, so the bench
 * can try a few of each and keep the fastest.
 */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid, type KernelSpec } from './kernel.js';

/** Threads per workgroup of the FMA kernel. */
export const ROOFLINE_WG = 64;
/** Independent vec4 FMA chains per thread in fma.wgsl. */
export const FMA_CHAINS = 8;

/**
 * Rounds of the 8 chains per loop iteration the bench tries, keeping the fastest: lavapipe pays per iteration, so on a
 * 2-core AMD EPYC 1 round ran 80-94 GFLOP/s, 2 rounds 117-127, 4 136-138, 8 112-114 (the body outgrows the registers).
 */
export const FMA_UNROLLS = [1, 2, 4, 8] as const;

const fmaSpecs = new Map<number, KernelSpec<'iters' | 'a' | 'b' | 'groups'>>();

/** The FMA kernel with `unroll` rounds per loop iteration. */
export function rooflineFma(unroll: number): KernelSpec<'iters' | 'a' | 'b' | 'groups'> {
  let spec = fmaSpecs.get(unroll);
  if (!spec) {
    spec = defineKernel({
      name: 'roofline.fma',
      shader: 'roofline/fma',
      bindings: [{ name: 'y', access: 'read_write' }],
      params: [['iters', 'u32'], ['a', 'f32'], ['b', 'f32'], ['groups', 'u32']],
      workgroupSize: [ROOFLINE_WG, 1, 1],
      grid: (p, maxPerDim) => linearGrid(p.groups, maxPerDim),
      constants: { UNROLL: unroll },
    });
    fmaSpecs.set(unroll, spec);
  }
  return spec;
}

const copySpecs = new Map<number, KernelSpec<'n4'>>();

/** The copy kernel with `wg` threads a workgroup, one vec4 each. */
export function rooflineCopy(wg: number): KernelSpec<'n4'> {
  let spec = copySpecs.get(wg);
  if (!spec) {
    spec = defineKernel({
      name: 'roofline.copy',
      shader: 'roofline/copy',
      bindings: [
        { name: 'x', access: 'read' },
        { name: 'y', access: 'read_write' },
      ],
      params: [['n4', 'u32']],
      workgroupSize: [wg, 1, 1],
      grid: (p, maxPerDim) => linearGrid(Math.ceil(p.n4 / wg), maxPerDim),
    });
    copySpecs.set(wg, spec);
  }
  return spec;
}

/** FLOPs of one runFma: threads * iters * chains * 4 lanes * 2 (a multiply and an add per lane). */
export function fmaFlops(groups: number, iters: number): number {
  return groups * ROOFLINE_WG * iters * FMA_CHAINS * 4 * 2;
}

/** y needs one vec4 (16 bytes) per thread: groups * ROOFLINE_WG * 16 bytes; iters is a multiple of `unroll`. */
export function runFma(gpu: Gpu, y: GPUBuffer, groups: number, iters: number, unroll: number): void {
  if (iters % unroll !== 0) throw new RangeError(`roofline.fma: iters ${iters} is not a multiple of unroll ${unroll}`);
  gpu.run(rooflineFma(unroll), { iters, a: 1 - 2 ** -20, b: 2 ** -20, groups }, [y]);
}

/** y = x over `n4` vec4s, `wg` threads a workgroup. */
export function runCopy(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, n4: number, wg: number): void {
  gpu.run(rooflineCopy(wg), { n4 }, [x, y]);
}
