/**
 * Pooling throughput on CNN-X's shape (kernel 2, stride 3 on [15, 16, 224, 224] -> [15, 16, 75, 75]):
 * `npx vite-node bench/pool.ts`. Checks max and avg pooling, forward and backward, against a CPU reference on the
 * benchmark data first, then times each kernel variant (the direct reference kernels and the numbered fast ones the
 * ops pick) and the ops as training runs them (forward recorded, then the gradient rule): after a warm-up, RUNS runs
 * between two gpu.sync() calls, in ROUNDS rounds, reporting the best round (the machine is shared, so the other
 * rounds measure other people's work).
 *
 * Bytes (E = N*C*H*W input elements, O = N*C*OH*OW outputs, 4 bytes each):
 *   maxpool2d.forward:  read x, write y and idx  = 4E + 8O
 *   maxpool2d.backward: read idx and dy, write dx = 8O + 4E
 *   avgpool2d.forward:  read x, write y          = 4E + 4O
 *   avgpool2d.backward: read dy, write dx        = 4O + 4E
 * E counts all of x although stride 3 > kernel 2 leaves rows 2, 5, 8, ... unread (150 of 224 rows are touched).
 * The roof for percentages is a buffer-to-buffer copy of x (8E bytes) timed on the same device, unless
 * CNNX_ROOF_GBS is set. The CPU column is the process's CPU time per run (lavapipe's worker threads included): on a
 * shared machine it moves far less than the wall clock, so it is the better guide when comparing variants.
 */
import { createRng } from '../src/data/prng.js';
import { avgpool2d, avgpool2dBackward, type Avgpool2dSaved } from '../src/graph/ops/avgpool2d.js';
import { maxpool2d, maxpool2dBackward, type Maxpool2dSaved } from '../src/graph/ops/maxpool2d.js';
import { tidy } from '../src/graph/scope.js';
import { Tensor } from '../src/graph/tensor.js';
import { runAvgpool2dBackward, runAvgpool2dForward, type AvgDivisor } from '../src/kernels/avgpool2d.js';
import { runMaxpool2dBackward, runMaxpool2dForward } from '../src/kernels/maxpool2d.js';
import { poolGeometry, type Pool2dGeometry } from '../src/kernels/pool_geometry.js';
import { createNodePlatform } from '../src/platform/node.js';
import { Gpu } from '../src/runtime/gpu.js';

const SHAPE: [number, number, number, number] = [15, 16, 224, 224];
const OPTIONS = { kernel: 2, stride: 3 };
const RUNS = Number(process.env.CNNX_BENCH_RUNS ?? 5);
const ROUNDS = Number(process.env.CNNX_BENCH_ROUNDS ?? 3);
const DIVISOR: AvgDivisor = { countIncludePad: true, divisorOverride: 0 };

/** Best round's wall-clock ms per run, and that round's process CPU ms per run (lavapipe's threads included). */
async function time(gpu: Gpu, run: () => void): Promise<{ ms: number; cpuMs: number }> {
  run();
  await gpu.sync();
  let best = { ms: Infinity, cpuMs: Infinity };
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < RUNS; i++) run();
    await gpu.sync();
    const ms = (performance.now() - start) / RUNS;
    const used = process.cpuUsage(cpu);
    if (ms < best.ms) best = { ms, cpuMs: (used.user + used.system) / 1000 / RUNS };
  }
  return best;
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

function check(label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const error = relativeError(got, want);
  if (!(error <= 1e-5)) throw new Error(`${label} does not match the CPU reference: relative error ${error}`);
}

/** Max and average pooling without padding or dilation (what this benchmark runs), forward and backward, on the CPU. */
function reference(x: Float32Array, dyMax: Float32Array, dyAvg: Float32Array, g: Pool2dGeometry) {
  const out = {
    yMax: new Float32Array(g.planes * g.oh * g.ow),
    yAvg: new Float32Array(g.planes * g.oh * g.ow),
    dxMax: new Float32Array(x.length),
    dxAvg: new Float32Array(x.length),
  };
  const area = g.kh * g.kw;
  for (let p = 0, o = 0; p < g.planes; p++) {
    const base = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++, o++) {
        let best = -Infinity;
        let at = -1;
        let sum = 0;
        for (let iy = oy * g.sh; iy < Math.min(oy * g.sh + g.kh, g.h); iy++) {
          for (let ix = ox * g.sw; ix < Math.min(ox * g.sw + g.kw, g.w); ix++) {
            const v = x[base + iy * g.w + ix]!;
            sum += v;
            if (at < 0 || v > best) [best, at] = [v, base + iy * g.w + ix];
          }
        }
        out.yMax[o] = best;
        out.yAvg[o] = sum / area;
        out.dxMax[at] += dyMax[o]!;
        for (let iy = oy * g.sh; iy < Math.min(oy * g.sh + g.kh, g.h); iy++) {
          for (let ix = ox * g.sw; ix < Math.min(ox * g.sw + g.kw, g.w); ix++) out.dxAvg[base + iy * g.w + ix] += dyAvg[o]! / area;
        }
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const gpu = await Gpu.create(createNodePlatform());
  const info = gpu.info;
  console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description} (${info.backend})`);
  const g = poolGeometry('bench', SHAPE, OPTIONS);
  const elements = g.planes * g.h * g.w;
  const outputs = g.planes * g.oh * g.ow;
  const rng = createRng(1);
  const xs = Float32Array.from({ length: elements }, () => rng.next() * 2 - 1);
  const dyMaxs = Float32Array.from({ length: outputs }, () => rng.next() * 2 - 1);
  const dyAvgs = Float32Array.from({ length: outputs }, () => rng.next() * 2 - 1);
  const x = Tensor.fromData(gpu, xs, SHAPE, 'bench:x');
  x.requiresGrad = true;
  const outShape = [g.n, g.c, g.oh, g.ow];
  const dyMax = Tensor.fromData(gpu, dyMaxs, outShape, 'bench:dyMax');
  const dyAvg = Tensor.fromData(gpu, dyAvgs, outShape, 'bench:dyAvg');

  /** The ops as training runs them: forward (recorded), then the gradient rule. */
  const maxStep = (): Tensor[] =>
    tidy(() => {
      const y = maxpool2d(x, OPTIONS);
      return [y, maxpool2dBackward(y.creator!.saved as Maxpool2dSaved, dyMax)[0]!];
    });
  const avgStep = (): Tensor[] =>
    tidy(() => {
      const y = avgpool2d(x, OPTIONS);
      return [y, avgpool2dBackward(y.creator!.saved as Avgpool2dSaved, dyAvg)[0]!];
    });

  const want = reference(xs, dyMaxs, dyAvgs, g);
  const got = [...maxStep(), ...avgStep()];
  const errors = {
    'max y': relativeError(await got[0]!.read(), want.yMax),
    'max dx': relativeError(await got[1]!.read(), want.dxMax),
    'avg y': relativeError(await got[2]!.read(), want.yAvg),
    'avg dx': relativeError(await got[3]!.read(), want.dxAvg),
  };
  got.forEach((t) => t.dispose());
  const worst = Math.max(...Object.values(errors));
  const summary = Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ');
  if (!(worst <= 1e-5)) throw new Error(`pooling does not match the CPU reference: ${summary}`);
  console.log(`x [${SHAPE}] -> [${outShape}], kernel 2 stride 3: ${(elements / 1e6).toFixed(2)} M inputs, ` +
    `${(outputs / 1e6).toFixed(2)} M outputs; rel err vs CPU: ${summary}`);

  const bytes = 4 * elements;
  const copyTarget = gpu.alloc(bytes, 'bench:copy');
  const copy = await time(gpu, () => gpu.copy(x.buffer, 0, copyTarget, 0, bytes));
  const copyMs = copy.ms;
  gpu.free(copyTarget);
  const roof = Number(process.env.CNNX_ROOF_GBS ?? (2 * bytes) / copyMs / 1e6);
  console.log(`roof: ${roof.toFixed(2)} GB/s (${process.env.CNNX_ROOF_GBS ? 'CNNX_ROOF_GBS' : `copy of x, ${copyMs.toFixed(2)} ms, CPU ${copy.cpuMs.toFixed(1)} ms`}); ` +
    `best of ${ROUNDS} rounds of ${RUNS} runs after one warm-up\n`);

  const y = gpu.alloc(4 * outputs, 'bench:y');
  const idx = gpu.alloc(4 * outputs, 'bench:idx');
  const dx = gpu.alloc(bytes, 'bench:dx');
  // Each kernel variant, checked before it is timed (the ops above ran the fast ones).
  for (const variant of ['direct', 'unrolled'] as const) {
    runMaxpool2dForward(gpu, x.buffer, y, idx, g, variant);
    check(`maxpool2d forward ${variant}`, await gpu.read(y, 4 * outputs), want.yMax);
    runAvgpool2dForward(gpu, x.buffer, y, g, DIVISOR, variant);
    check(`avgpool2d forward ${variant}`, await gpu.read(y, 4 * outputs), want.yAvg);
  }
  runMaxpool2dForward(gpu, x.buffer, y, idx, g); // idx for the backward
  for (const variant of ['direct', 'vec4'] as const) {
    runMaxpool2dBackward(gpu, idx, dyMax.buffer, dx, g, variant);
    check(`maxpool2d backward ${variant}`, await gpu.read(dx, bytes), want.dxMax);
    runAvgpool2dBackward(gpu, dyAvg.buffer, dx, g, DIVISOR, variant);
    check(`avgpool2d backward ${variant}`, await gpu.read(dx, bytes), want.dxAvg);
  }
  const E = elements;
  const O = outputs;
  const passes: [string, number, () => void][] = [
    ['maxpool2d.forward', 4 * E + 8 * O, () => runMaxpool2dForward(gpu, x.buffer, y, idx, g, 'direct')],
    ['maxpool2d.forward_1_unrolled', 4 * E + 8 * O, () => runMaxpool2dForward(gpu, x.buffer, y, idx, g, 'unrolled')],
    ['maxpool2d.backward', 8 * O + 4 * E, () => runMaxpool2dBackward(gpu, idx, dyMax.buffer, dx, g, 'direct')],
    ['maxpool2d.backward_1_vec4', 8 * O + 4 * E, () => runMaxpool2dBackward(gpu, idx, dyMax.buffer, dx, g, 'vec4')],
    ['maxpool2d (op) fwd + bwd', 8 * E + 16 * O, () => maxStep().forEach((t) => t.dispose())],
    ['avgpool2d.forward', 4 * E + 4 * O, () => runAvgpool2dForward(gpu, x.buffer, y, g, DIVISOR, 'direct')],
    ['avgpool2d.forward_1_unrolled', 4 * E + 4 * O, () => runAvgpool2dForward(gpu, x.buffer, y, g, DIVISOR, 'unrolled')],
    ['avgpool2d.backward', 4 * O + 4 * E, () => runAvgpool2dBackward(gpu, dyAvg.buffer, dx, g, DIVISOR, 'direct')],
    ['avgpool2d.backward_1_vec4', 4 * O + 4 * E, () => runAvgpool2dBackward(gpu, dyAvg.buffer, dx, g, DIVISOR, 'vec4')],
    ['avgpool2d (op) fwd + bwd', 8 * E + 8 * O, () => avgStep().forEach((t) => t.dispose())],
  ];
  for (const [name, passBytes, run] of passes) {
    const { ms, cpuMs } = await time(gpu, run);
    const gbs = passBytes / ms / 1e6;
    console.log(
      `  ${name.padEnd(30)} ${ms.toFixed(2).padStart(8)} ms ${gbs.toFixed(2).padStart(6)} GB/s ` +
        `${((100 * gbs) / roof).toFixed(0).padStart(3)}% of roof  CPU ${cpuMs.toFixed(1).padStart(7)} ms  ` +
        `(${(passBytes / 1e6).toFixed(1)} MB)`,
    );
  }
  [y, idx, dx].forEach((buffer) => gpu.free(buffer));
  [x, dyMax, dyAvg].forEach((t) => t.dispose());
  gpu.destroy();
}

await main();
