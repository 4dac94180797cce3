/**
 * conv2d throughput per pass and variant: `npx vite-node bench/conv2d.ts [filter]` (filter: a substring of the shape
 * name; CNNX_BENCH_PASS = forward | backwardInput | backwardWeight | backwardBias and CNNX_BENCH_VARIANT = direct |
 * gemm pick one). Before timing, each variant is checked against the direct variant (the reference) on the same shape
 * with batch 2. Timing: the best of CNNX_BENCH_RUNS (default 3) single runs after a warm-up, each between gpu.sync()
 * calls. On a shared machine the process CPU time (lavapipe's worker threads included) is printed too: it is steadier
 * than wall time, and wall GFLOP/s on an idle 2-core machine is about CPU GFLOP/s times 2.
 *
 * FLOPs of each conv pass = 2 * N * Cout * OH * OW * (Cin / groups) * KH * KW (one multiply-add per weight use); the
 * bias gradient reads N * Cout * OH * OW floats and is reported in ms only. The roof for percentages is
 * CNNX_ROOF_GFLOPS (default 28: what a good FMA loop reaches under lavapipe on this 2-core machine).
 */
import { conv2dGeometry, type Conv2dOptions } from '../src/graph/ops/conv2d.js';
import {
  CONV2D_VARIANTS,
  conv2dVariantApplies,
  runConv2dBackwardBias,
  runConv2dBackwardInput,
  runConv2dBackwardWeight,
  runConv2dForward,
  type Conv2dGeometry,
  type Conv2dPass,
  type Conv2dVariant,
} from '../src/kernels/conv2d.js';
import { createRng } from '../src/data/prng.js';
import { createNodePlatform } from '../src/platform/node.js';
import { Gpu } from '../src/runtime/gpu.js';

interface Shape {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  opts: Conv2dOptions;
}

const SHAPES: Shape[] = [
  { name: 'cnnx_1to16_3x3', x: [15, 1, 224, 224], w: [16, 1, 3, 3], opts: { padding: 1 } },
  { name: 'cnnx_1to16_5x5', x: [15, 1, 224, 224], w: [16, 1, 5, 5], opts: { padding: 2 } },
  { name: 'cnnx_1to16_9x9', x: [15, 1, 224, 224], w: [16, 1, 9, 9], opts: { padding: 4 } },
  { name: 'resnet_64to64_3x3', x: [15, 64, 56, 56], w: [64, 64, 3, 3], opts: { padding: 1 } },
];

const env = process.env;
const ROOF = Number(env.CNNX_ROOF_GFLOPS ?? 28);
const RUNS = Number(env.CNNX_BENCH_RUNS ?? 3);

interface Buffers {
  x: GPUBuffer;
  w: GPUBuffer;
  b: GPUBuffer;
  dy: GPUBuffer;
}

function sizes(g: Conv2dGeometry): { x: number; y: number; w: number } {
  return { x: g.batch * g.cin * g.h * g.w, y: g.batch * g.cout * g.oh * g.ow, w: weightCount(g) };
}

function weightCount(g: Conv2dGeometry): number {
  return g.cout * (g.cin / g.groups) * g.kh * g.kw;
}

function randomBuffer(gpu: Gpu, length: number, seed: number, label: string): GPUBuffer {
  const rng = createRng(seed);
  const buffer = gpu.alloc(length * 4, label);
  gpu.upload(buffer, Float32Array.from({ length }, () => rng.next() * 2 - 1));
  return buffer;
}

function inputs(gpu: Gpu, g: Conv2dGeometry): Buffers {
  const n = sizes(g);
  return {
    x: randomBuffer(gpu, n.x, 1, 'bench:x'),
    w: randomBuffer(gpu, n.w, 2, 'bench:w'),
    b: randomBuffer(gpu, g.cout, 3, 'bench:b'),
    dy: randomBuffer(gpu, n.y, 4, 'bench:dy'),
  };
}

function outputSize(pass: Conv2dPass, g: Conv2dGeometry): number {
  const n = sizes(g);
  return pass === 'forward' ? n.y : pass === 'backwardInput' ? n.x : n.w;
}

function run(gpu: Gpu, pass: Conv2dPass, v: Conv2dVariant, g: Conv2dGeometry, i: Buffers, out: GPUBuffer): void {
  if (pass === 'forward') runConv2dForward(gpu, i.x, i.w, i.b, out, g, v);
  else if (pass === 'backwardInput') runConv2dBackwardInput(gpu, i.dy, i.w, out, g, v);
  else runConv2dBackwardWeight(gpu, i.x, i.dy, out, g, v);
}

function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let k = 0; k < want.length; k++) {
    diff += (got[k]! - want[k]!) ** 2;
    norm += want[k]! ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

/** Relative error of `variant` against 'direct' on g with batch 2. */
async function check(gpu: Gpu, pass: Conv2dPass, variant: Conv2dVariant, full: Conv2dGeometry): Promise<number> {
  const g = { ...full, batch: Math.min(2, full.batch) };
  const i = inputs(gpu, g);
  const bytes = outputSize(pass, g) * 4;
  const want = gpu.alloc(bytes, 'bench:want');
  const got = gpu.alloc(bytes, 'bench:got');
  run(gpu, pass, 'direct', g, i, want);
  run(gpu, pass, variant, g, i, got);
  const error = relativeError(await gpu.read(got, bytes), await gpu.read(want, bytes));
  [i.x, i.w, i.b, i.dy, want, got].forEach((buffer) => gpu.free(buffer));
  return error;
}

/** Best of RUNS single runs after a warm-up: wall ms, and CPU ms of this process (lavapipe's threads included). */
async function time(gpu: Gpu, fn: () => void): Promise<{ ms: number; cpuMs: number }> {
  fn();
  await gpu.sync();
  let best = { ms: Infinity, cpuMs: Infinity };
  for (let k = 0; k < RUNS; k++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    fn();
    await gpu.sync();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    if (ms < best.ms) best = { ms, cpuMs: (used.user + used.system) / 1000 };
  }
  return best;
}

function report(label: string, ms: number, cpuMs: number, flops: number | null, note = ''): void {
  const rate = flops === null ? '' : `${(flops / ms / 1e6).toFixed(2).padStart(7)} GFLOP/s ` +
    `${((100 * flops) / ms / 1e6 / ROOF).toFixed(0).padStart(3)}% of roof, ${(flops / cpuMs / 1e6).toFixed(2).padStart(6)} GFLOP/cpu-s`;
  console.log(`  ${label.padEnd(24)} ${ms.toFixed(1).padStart(9)} ms  cpu ${cpuMs.toFixed(0).padStart(6)} ms  ${rate}${note}`);
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  const gpu = await Gpu.create(createNodePlatform());
  const info = gpu.info;
  console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description} (${info.backend})`);
  console.log(`roof for %: ${ROOF} GFLOP/s; best of ${RUNS} runs after one warm-up`);
  for (const shape of SHAPES.filter((s) => s.name.includes(filter))) {
    const g = conv2dGeometry(shape.x, shape.w, [shape.w[0]], shape.opts);
    const flops = 2 * g.batch * g.cout * g.oh * g.ow * (g.cin / g.groups) * g.kh * g.kw;
    console.log(`\n${shape.name}: x [${shape.x}] w [${shape.w}] ${JSON.stringify(shape.opts)}, ${(flops / 1e9).toFixed(3)} GFLOP`);
    const i = inputs(gpu, g);
    for (const pass of ['forward', 'backwardInput', 'backwardWeight'] as const) {
      if (env.CNNX_BENCH_PASS && env.CNNX_BENCH_PASS !== pass) continue;
      for (const variant of CONV2D_VARIANTS[pass]) {
        if ((env.CNNX_BENCH_VARIANT && env.CNNX_BENCH_VARIANT !== variant) || !conv2dVariantApplies(pass, variant, g)) continue;
        const error = variant === 'direct' ? 0 : await check(gpu, pass, variant, g);
        if (!(error <= 1e-4)) throw new Error(`${shape.name} ${pass} ${variant}: relative error ${error} vs direct`);
        const out = gpu.alloc(outputSize(pass, g) * 4, `bench:${pass}`);
        const { ms, cpuMs } = await time(gpu, () => run(gpu, pass, variant, g, i, out));
        report(`${pass} ${variant}`, ms, cpuMs, flops, variant === 'direct' ? '' : `  (checked: rel err ${error.toExponential(1)})`);
        gpu.free(out);
      }
    }
    if (!env.CNNX_BENCH_PASS || env.CNNX_BENCH_PASS === 'backwardBias') {
      const db = gpu.alloc(g.cout * 4, 'bench:db');
      const { ms, cpuMs } = await time(gpu, () => runConv2dBackwardBias(gpu, i.dy, db, g));
      report('backwardBias', ms, cpuMs, null);
      gpu.free(db);
    }
    [i.x, i.w, i.b, i.dy].forEach((buffer) => gpu.free(buffer));
  }
  gpu.destroy();
}

await main();
