/**
 * The device's roofs, measured with cnnx's own kernels (src/kernels/roofline.ts):
 * - FMA throughput: threads * iters * 8 chains * 4 lanes * 2 FLOPs, over the GPU time of one dispatch; the fastest
 *   of a few unrollings of the loop (a software driver pays per loop iteration);
 * - copy bandwidth: 2 * bytes copied (read + write) over the GPU time of a vec4 copy, sources and targets each
 *   rotating through ROTATION_BYTES of buffers (twice the largest cache), so every run reads and writes memory, not
 *   cache; the fastest of a few copy sizes (a software driver streams small dispatches faster than one huge one) and
 *   workgroup widths.
 * Each is the median over timed runs, like every kernel, after a check of the kernel on a small case.
 */
import { FMA_UNROLLS, fmaFlops, runCopy, runFma, ROOFLINE_WG } from '../kernels/roofline.js';
import type { Gpu } from '../runtime/gpu.js';
import { hostData, outputs, ROTATION_BYTES, upload } from './data.js';
import { measure, type MeasurePlan } from './measure.js';

const COPY_SIZES = [4 * 2 ** 20, 32 * 2 ** 20, 128 * 2 ** 20, 512 * 2 ** 20];
const COPY_WGS = [64, 128, 256];
const FMA_GROUPS = 4096;
/** A roof dispatch shorter than this is timed again with more work: a fast GPU finishes the base loop in microseconds. */
const ROOF_MIN_MS = 2;
const FMA_MAX_ITERS = 2 ** 16;

export interface Roofs {
  fma_gflops: number;
  copy_gbps: number;
}

export async function measureRoofs(
  gpu: Gpu,
  plan: MeasurePlan,
  quick: boolean,
): Promise<Roofs & { fma: string; copy: string }> {
  await checkRoofKernels(gpu);
  const y = gpu.alloc(FMA_GROUPS * ROOFLINE_WG * 16, 'bench:roofline:y');
  let fmaBest = { gflops: 0, unroll: FMA_UNROLLS[0] as number };
  for (const unroll of FMA_UNROLLS) {
    let iters = quick ? 128 : 512;
    let fma = await measure(gpu, () => runFma(gpu, y, FMA_GROUPS, iters, unroll), plan);
    while (fma.ms < ROOF_MIN_MS && iters < FMA_MAX_ITERS) {
      iters *= 4;
      fma = await measure(gpu, () => runFma(gpu, y, FMA_GROUPS, iters, unroll), plan);
    }
    const gflops = fmaFlops(FMA_GROUPS, iters) / fma.ms / 1e6;
    if (gflops > fmaBest.gflops) fmaBest = { gflops, unroll };
  }
  gpu.free(y);

  let best = { gbps: 0, wg: COPY_WGS[0]!, bytes: 0 };
  const maxBytes = Math.floor(Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize) / 256) * 256;
  for (const bytes of [...new Set(COPY_SIZES.map((size) => Math.min(size, maxBytes)))]) {
    const n4 = bytes / 16;
    const sets = Math.max(2, Math.ceil(ROTATION_BYTES / bytes));
    const sources = Array.from({ length: sets }, (_, k) => gpu.alloc(bytes, `bench:roofline:x${k}`));
    const targets = outputs(gpu, bytes, sets, 'bench:roofline:y');
    // Dawn zero-fills a buffer at its first use: do that for every source before any timing.
    sources.forEach((x, k) => runCopy(gpu, x, targets.at(k), n4, COPY_WGS[0]!));
    await gpu.sync();
    for (const wg of COPY_WGS) {
      const t = await measure(gpu, (i) => runCopy(gpu, sources[i % sets]!, targets.at(i + 1), n4, wg), plan);
      const gbps = (2 * bytes) / t.ms / 1e6;
      if (gbps > best.gbps) best = { gbps, wg, bytes };
    }
    [...sources, ...targets.buffers].forEach((b) => gpu.free(b));
    gpu.pool.trim();
  }
  return {
    fma_gflops: fmaBest.gflops,
    copy_gbps: best.gbps,
    fma: `${fmaBest.unroll} round${fmaBest.unroll > 1 ? 's' : ''} of the chains per loop iteration`,
    copy: `${best.bytes / 2 ** 20} MiB, ${best.wg} threads a workgroup`,
  };
}

/** The FMA kernel's first thread against the same chains in f32 on the host; the copy of 64 Ki floats exactly. */
async function checkRoofKernels(gpu: Gpu): Promise<void> {
  const iters = 64;
  const a = Math.fround(1 - 2 ** -20);
  const b = Math.fround(2 ** -20);
  const y = gpu.alloc(ROOFLINE_WG * 16, 'bench:roofline:check');
  let want = 0;
  for (let chain = 0; chain < 8; chain++) {
    let c = Math.fround(0.01 * chain);
    for (let k = 0; k < iters; k++) c = Math.fround(c * a + b);
    want += c;
  }
  for (const unroll of FMA_UNROLLS) {
    runFma(gpu, y, 1, iters, unroll);
    const got = (await gpu.read(y, 16))[0]!;
    if (!(Math.abs(got - want) <= 1e-5 * Math.abs(want))) {
      throw new Error(`roofline.fma (${unroll} rounds per iteration): thread 0 gave ${got}, expected ${want}`);
    }
  }
  const n = 65536;
  const data = hostData(n, 7);
  const x = upload(gpu, data, 'bench:roofline:check_x');
  const copy = gpu.alloc(4 * n, 'bench:roofline:check_y');
  for (const wg of COPY_WGS) {
    runCopy(gpu, x, copy, n / 4, wg);
    const out = await gpu.read(copy, 4 * n);
    if (out.some((v, i) => v !== data[i])) throw new Error(`roofline.copy (${wg} threads a workgroup) does not copy exactly`);
  }
  [x, y, copy].forEach((buffer) => gpu.free(buffer));
}
