/**
 * linear throughput per pass and matmul variant: `npx vite-node bench/linear.ts [filter]` (filter: a substring of
 * the shape name; vgg_fc1, whose 411 MB weight is bound in row slices, runs only when named). Each run is first
 * checked against float64 sums on the host at 256 sampled outputs, then timed over a few runs after a warm-up,
 * with gpu.sync() around them. "auto" is what linear itself runs (the variant it picks, slicing included); the
 * other rows force one matmul variant on the same product (skipped where an operand exceeds one binding).
 *
 * With x [N, K], w [M, K], y [N, M]: FLOPs of each pass = 2 * N * K * M; bytes moved (each operand once):
 * forward = 4 * (N*K + M*K + N*M), dx = 4 * (N*M + M*K + N*K), dw = 4 * (N*M + N*K + M*K). The fc layer of CNN-X
 * (K = 360,000, tiny N and M) is bound by those bytes, so % is of the bandwidth roof CNNX_ROOF_GBS (default 7:
 * what a copy reaches under lavapipe on this 2-core machine); GFLOP/s is printed beside it. A copy of the same
 * bytes (relu) is timed first as the measured roof of the moment. "cpu" is the process's CPU time per run (all
 * of lavapipe's threads): steadier than wall time when other work shares the cores.
 */
import { cpus, loadavg } from 'node:os';
import { createRng } from '../src/data/prng.js';
import {
  runLinearBackwardBias,
  runLinearBackwardInput,
  runLinearBackwardWeight,
  runLinearForward,
  type LinearDims,
} from '../src/kernels/linear.js';
import { MATMUL_VARIANTS, runMatmul, type MatmulVariant } from '../src/kernels/matmul.js';
import { runReluForward } from '../src/kernels/relu.js';
import { createNodePlatform } from '../src/platform/node.js';
import { Gpu } from '../src/runtime/gpu.js';

const SHAPES: { name: string; d: LinearDims; onlyWhenNamed?: boolean }[] = [
  { name: 'cnnx_fc', d: { n: 15, k: 360_000, m: 4 } },
  { name: 'resnet_fc', d: { n: 15, k: 2048, m: 4 } },
  { name: 'resnet_imagenet_fc', d: { n: 1, k: 2048, m: 1000 } },
  { name: 'resnet18_imagenet_fc', d: { n: 1, k: 512, m: 1000 } },
  { name: 'resnet_imagenet_fc15', d: { n: 15, k: 2048, m: 1000 } },
  { name: 'vgg_fc2', d: { n: 15, k: 4096, m: 4096 } },
  { name: 'vgg_fc1', d: { n: 15, k: 25_088, m: 4096 }, onlyWhenNamed: true },
];

const ROOF_GBS = Number(process.env.CNNX_ROOF_GBS ?? 7);
const RUNS = Number(process.env.CNNX_BENCH_RUNS ?? 5);
const SAMPLES = 256;

interface Timing {
  ms: number;
  cpuMs: number;
}

async function time(gpu: Gpu, run: () => void, runs = RUNS): Promise<Timing> {
  run();
  await gpu.sync();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < runs; i++) run();
  await gpu.sync();
  const used = process.cpuUsage(cpu);
  return { ms: (performance.now() - start) / runs, cpuMs: (used.user + used.system) / 1000 / runs };
}

function hostData(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.next() * 2 - 1);
}

function upload(gpu: Gpu, data: Float32Array, label: string): GPUBuffer {
  const buffer = gpu.alloc(data.length * 4, label);
  gpu.upload(buffer, data);
  return buffer;
}

/** Relative error at sampled outputs against a float64 host sum: C[r, s] = sum_k A(r, k) B(k, s). */
function sampledError(got: Float32Array, cols: number, depth: number, a: (r: number, k: number) => number,
  b: (k: number, s: number) => number): number {
  const rng = createRng(99);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const at = Math.floor(rng.next() * got.length);
    const r = Math.floor(at / cols);
    const s = at % cols;
    let want = 0;
    for (let k = 0; k < depth; k++) want += a(r, k) * b(k, s);
    diff += (got[at]! - want) ** 2;
    norm += want ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

function report(label: string, t: Timing, bytes: number, flops: number): void {
  const gbs = bytes / t.ms / 1e6;
  console.log(
    `  ${label.padEnd(22)} ${t.ms.toFixed(2).padStart(9)} ms (cpu ${t.cpuMs.toFixed(1).padStart(7)} ms) ` +
      `${gbs.toFixed(2).padStart(6)} GB/s ${((100 * gbs) / ROOF_GBS).toFixed(0).padStart(4)}% of roof ` +
      `${(flops / t.ms / 1e6).toFixed(2).padStart(7)} GFLOP/s`,
  );
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  const gpu = await Gpu.create(createNodePlatform());
  const info = gpu.info;
  const maxBinding = gpu.limits.maxStorageBufferBindingSize;
  console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description} (${info.backend})`);
  console.log(`host: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`roof for %: ${ROOF_GBS} GB/s; ${RUNS} timed runs after one warm-up`);
  const shapes = SHAPES.filter((s) => (s.onlyWhenNamed ? filter === s.name : s.name.includes(filter)));
  for (const { name, d } of shapes) {
    const { n, k, m } = d;
    const flops = 2 * n * k * m;
    const bytes = 4 * (n * k + m * k + n * m);
    const [xh, wh, dyh] = [hostData(n * k, 1), hostData(m * k, 2), hostData(n * m, 4)];
    const x = upload(gpu, xh, 'bench:x');
    const w = upload(gpu, wh, 'bench:w');
    const dy = upload(gpu, dyh, 'bench:dy');
    console.log(`\n${name}: x [${n}, ${k}] w [${m}, ${k}], ${(flops / 1e9).toFixed(3)} GFLOP, ${(bytes / 1e6).toFixed(1)} MB per pass`);

    const half = Math.min(Math.floor(bytes / 8), Math.floor(maxBinding / 4)); // floats read, and written
    const copyIn = gpu.alloc(half * 4, 'bench:copy_in');
    const copyOut = gpu.alloc(half * 4, 'bench:copy_out');
    const copyLabel = half * 8 < bytes ? `copy (relu, ${((half * 8) / 1e6).toFixed(0)} MB)` : 'copy (relu, same bytes)';
    report(copyLabel, await time(gpu, () => runReluForward(gpu, copyIn, copyOut, half)), half * 8, 0);
    [copyIn, copyOut].forEach((buffer) => gpu.free(buffer));

    // Per pass: output size, C = op(A) op(B) as host accessors for the check, what linear runs, one forced variant.
    type Pass = {
      pass: string;
      rows: number;
      cols: number;
      depth: number;
      a: (r: number, kk: number) => number;
      b: (kk: number, s: number) => number;
      auto: (o: GPUBuffer) => void;
      forced: (v: MatmulVariant, o: GPUBuffer) => void;
      sizes: number[];
    };
    const passes: Pass[] = [
      {
        pass: 'forward', rows: n, cols: m, depth: k, sizes: [n * k, m * k],
        a: (r, kk) => xh[r * k + kk]!, b: (kk, s) => wh[s * k + kk]!,
        auto: (o) => runLinearForward(gpu, x, w, null, o, d),
        forced: (variant, o) => runMatmul(gpu, { binding: x, ld: k }, { binding: w, ld: k, trans: true },
          { binding: o, ld: m }, { rows: n, cols: m, depth: k }, { variant }),
      },
      {
        pass: 'dx', rows: n, cols: k, depth: m, sizes: [m * k, n * k],
        a: (r, kk) => dyh[r * m + kk]!, b: (kk, s) => wh[kk * k + s]!,
        auto: (o) => runLinearBackwardInput(gpu, dy, w, o, d),
        forced: (variant, o) => runMatmul(gpu, { binding: dy, ld: m }, { binding: w, ld: k }, { binding: o, ld: k },
          { rows: n, cols: k, depth: m }, { variant }),
      },
      {
        pass: 'dw', rows: m, cols: k, depth: n, sizes: [n * k, m * k],
        a: (r, kk) => dyh[kk * m + r]!, b: (kk, s) => xh[kk * k + s]!,
        auto: (o) => runLinearBackwardWeight(gpu, dy, x, o, d),
        forced: (variant, o) => runMatmul(gpu, { binding: dy, ld: m, trans: true }, { binding: x, ld: k },
          { binding: o, ld: k }, { rows: m, cols: k, depth: n }, { variant }),
      },
    ];
    for (const p of passes) {
      const size = p.rows * p.cols;
      const fits = p.sizes.every((s) => s * 4 <= maxBinding);
      const aligned = p.pass !== 'forward' && k % 4 === 0;
      const runs: [string, (o: GPUBuffer) => void][] = [['auto', p.auto]];
      for (const variant of MATMUL_VARIANTS) {
        if (!fits || (variant === 'columns_vec4' && !aligned)) continue;
        // The naive variant is the reference, far too slow to time on the big products.
        if (variant === 'naive' && flops > 1e8) continue;
        if (variant === 'splitk' && p.depth < 1024) continue; // one workgroup per 16 x 4 outputs: for long K only
        // A as at most 16 rows of 4 held by the subgroup: dx and dw of a 4-output layer at a batch of at most 16.
        if (variant === 'outer' && !(gpu.hasSubgroups && aligned && m === 4 && n <= 16)) continue;
        runs.push([variant, (o) => p.forced(variant, o)]);
      }
      for (const [label, run] of runs) {
        const o = gpu.alloc(size * 4, `bench:${p.pass}:${label}`);
        run(o);
        const error = sampledError(await gpu.read(o, size * 4), p.cols, p.depth, p.a, p.b);
        if (!(error <= 1e-4)) throw new Error(`${name} ${p.pass} ${label}: relative error ${error} at sampled outputs`);
        const slow = label === 'naive' || label === 'tiled' || label === 'splitk';
        report(`${p.pass} ${label}`, await time(gpu, () => run(o), slow ? 1 : RUNS), bytes, flops);
        gpu.free(o);
      }
    }
    const db = gpu.alloc(m * 4, 'bench:db');
    const t = await time(gpu, () => runLinearBackwardBias(gpu, dy, db, d));
    console.log(`  ${'db auto'.padEnd(22)} ${t.ms.toFixed(2).padStart(9)} ms (cpu ${t.cpuMs.toFixed(1).padStart(7)} ms)`);
    [x, w, dy, db].forEach((buffer) => gpu.free(buffer));
  }
  gpu.destroy();
}

await main();
