/**
 * batchnorm2d (training mode) throughput: `npx vite-node bench/batchnorm2d.ts`. Checks forward and backward against
 * a float64 CPU reference on the benchmark data first, then times each pass and the whole op (forward + backward
 * through the gradient rule) over a few runs after a warm-up, with gpu.sync() around them.
 *
 * Bytes (E = N*C*H*W elements, 4 bytes each; the per-channel rows and partials are under 0.1% and not counted):
 *   stats (stats_partial + stats_finalize + running_update): read x           = 4E
 *   normalize:                                              read x, write y    = 8E
 *   backward sums (backward_reduce + backward_finalize):     read x, dy        = 8E
 *   backward_input:                                         read x, dy, write dx = 12E
 *   forward + backward                                                          = 32E
 * The roof for percentages is a buffer-to-buffer copy of E floats (8E bytes) timed on the same device, unless
 * CNNX_ROOF_GBS is set. "cpu" is the process CPU time per run (lavapipe's threads included): on a shared machine
 * wall time mostly measures the other load, CPU time much less so.
 */
import { createRng } from '../src/data/prng.js';
import { batchnorm2d, batchnorm2dBackward, type Batchnorm2dSaved } from '../src/graph/ops/batchnorm2d.js';
import { tidy } from '../src/graph/scope.js';
import { Tensor } from '../src/graph/tensor.js';
import {
  BATCHNORM2D_VARIANTS,
  COEF_ROWS,
  STATS_ROWS,
  runBatchnorm2dBackwardInput,
  runBatchnorm2dBackwardSums,
  runBatchnorm2dBatchStats,
  runBatchnorm2dNormalize,
  runBatchnorm2dRunningUpdate,
} from '../src/kernels/batchnorm2d.js';
import { createNodePlatform } from '../src/platform/node.js';
import { Gpu } from '../src/runtime/gpu.js';

const SHAPE: [number, number, number, number] = [15, 16, 224, 224];
const RUNS = Number(process.env.CNNX_BENCH_RUNS ?? 5);
const EPS = 1e-5;
const MOMENTUM = 0.1;

/** Wall ms per run, and process CPU ms per run (lavapipe's worker threads included), which other load on the
 * machine inflates far less than wall time. */
async function time(gpu: Gpu, run: () => void): Promise<{ ms: number; cpuMs: number }> {
  run();
  await gpu.sync();
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) run();
  await gpu.sync();
  const used = process.cpuUsage(cpu);
  return { ms: (performance.now() - start) / RUNS, cpuMs: (used.user + used.system) / 1000 / RUNS };
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

/** Training-mode batch norm in float64: y, dx, dw, db and running stats updated from (0, 1). */
function reference(x: Float32Array, dy: Float32Array, w: Float32Array, b: Float32Array) {
  const [n, c, h, wd] = SHAPE;
  const hw = h * wd;
  const m = n * hw;
  const out = {
    y: new Float32Array(x.length),
    dx: new Float32Array(x.length),
    dw: new Float64Array(c),
    db: new Float64Array(c),
    runningMean: new Float64Array(c),
    runningVar: new Float64Array(c),
  };
  for (let k = 0; k < c; k++) {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let s = 0, o = (i * c + k) * hw; s < hw; s++) sum += x[o + s]!;
    const mean = sum / m;
    let m2 = 0;
    let sdy = 0;
    let sdyx = 0;
    for (let i = 0; i < n; i++) {
      for (let s = 0, o = (i * c + k) * hw; s < hw; s++) {
        const d = x[o + s]! - mean;
        m2 += d * d;
        sdy += dy[o + s]!;
        sdyx += dy[o + s]! * d;
      }
    }
    const invstd = 1 / Math.sqrt(m2 / m + EPS);
    sdyx *= invstd;
    out.dw[k] = sdyx;
    out.db[k] = sdy;
    out.runningMean[k] = MOMENTUM * mean;
    out.runningVar[k] = 1 - MOMENTUM + (MOMENTUM * m2) / (m - 1);
    for (let i = 0; i < n; i++) {
      for (let s = 0, o = (i * c + k) * hw; s < hw; s++) {
        const xhat = (x[o + s]! - mean) * invstd;
        out.y[o + s] = xhat * w[k]! + b[k]!;
        out.dx[o + s] = ((w[k]! * invstd) / m) * (m * dy[o + s]! - sdy - xhat * sdyx);
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const gpu = await Gpu.create(createNodePlatform());
  const info = gpu.info;
  console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description} (${info.backend})`);
  const [n, c, h, w] = SHAPE;
  const elements = n * c * h * w;
  const shape = { n, c, hw: h * w };
  const rng = createRng(1);
  // A nonzero mean and uneven spread per channel, like conv outputs.
  const xs = Float32Array.from({ length: elements }, (_, i) => {
    const k = Math.floor(i / (h * w)) % c;
    return 0.5 * k - 2 + (1 + 0.1 * k) * (rng.next() * 2 - 1);
  });
  const dys = Float32Array.from({ length: elements }, () => rng.next() * 2 - 1);
  const ws = Float32Array.from({ length: c }, () => 0.5 + rng.next());
  const bs = Float32Array.from({ length: c }, () => rng.next() - 0.5);

  const x = Tensor.fromData(gpu, xs, SHAPE, 'bench:x');
  const dy = Tensor.fromData(gpu, dys, SHAPE, 'bench:dy');
  const weight = Tensor.fromData(gpu, ws, [c], 'bench:w');
  const bias = Tensor.fromData(gpu, bs, [c], 'bench:b');
  [x, weight, bias].forEach((t) => (t.requiresGrad = true));
  const runningMean = Tensor.zeros(gpu, [c], 'bench:rm');
  const runningVar = Tensor.full(gpu, [c], 1, 'bench:rv');
  const state = { weight, bias, runningMean, runningVar };
  const opts = { training: true, momentum: MOMENTUM, eps: EPS };

  /** The op as training runs it: forward (recorded), then its gradient rule for x, weight and bias. */
  const step = (): Tensor[] =>
    tidy(() => {
      const y = batchnorm2d(x, state, opts);
      const grads = batchnorm2dBackward(y.creator!.saved as Batchnorm2dSaved, dy, [true, true, true]);
      return [y, ...(grads as Tensor[])];
    });

  const want = reference(xs, dys, ws, bs);
  const got = step();
  const errors = {
    y: relativeError(await got[0]!.read(), want.y),
    dx: relativeError(await got[1]!.read(), want.dx),
    dw: relativeError(await got[2]!.read(), want.dw),
    db: relativeError(await got[3]!.read(), want.db),
    runningMean: relativeError(await runningMean.read(), want.runningMean),
    runningVar: relativeError(await runningVar.read(), want.runningVar),
  };
  got.forEach((t) => t.dispose());
  const worst = Math.max(...Object.values(errors));
  const summary = Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ');
  if (!(worst <= 1e-4)) throw new Error(`batchnorm2d does not match the float64 reference: ${summary}`);
  console.log(`x [${SHAPE}]: ${(elements / 1e6).toFixed(2)} M elements; rel err vs float64: ${summary}`);

  const bytes = 4 * elements;
  const copyTarget = gpu.alloc(bytes, 'bench:copy');
  const { ms: copyMs } = await time(gpu, () => gpu.copy(x.buffer, 0, copyTarget, 0, bytes));
  gpu.free(copyTarget);
  const roof = Number(process.env.CNNX_ROOF_GBS ?? (2 * bytes) / copyMs / 1e6);
  const roofSource = process.env.CNNX_ROOF_GBS ? 'CNNX_ROOF_GBS' : `copy of x, ${copyMs.toFixed(2)} ms`;
  console.log(`roof: ${roof.toFixed(2)} GB/s (${roofSource}); ${RUNS} timed runs after one warm-up\n`);
  const report = (name: string, bytesPerElement: number, { ms, cpuMs }: { ms: number; cpuMs: number }) => {
    const gbs = (bytesPerElement * elements) / ms / 1e6;
    console.log(
      `  ${name.padEnd(20)} ${ms.toFixed(2).padStart(8)} ms ${gbs.toFixed(2).padStart(6)} GB/s ` +
        `${((100 * gbs) / roof).toFixed(0).padStart(3)}% of roof  ` +
        `(${bytesPerElement}E bytes; cpu ${cpuMs.toFixed(1)} ms)`,
    );
  };

  const stats = gpu.alloc(STATS_ROWS * c * 4, 'bench:stats');
  const coef = gpu.alloc(COEF_ROWS * c * 4, 'bench:coef');
  const dw = gpu.alloc(c * 4, 'bench:dw');
  const db = gpu.alloc(c * 4, 'bench:db');
  const out = gpu.alloc(bytes, 'bench:out');
  for (const variant of BATCHNORM2D_VARIANTS) {
    const passes: [string, number, () => void][] = [
      ['stats', 4, () => {
        runBatchnorm2dBatchStats(gpu, x.buffer, weight.buffer, bias.buffer, stats, shape, EPS, variant);
        runBatchnorm2dRunningUpdate(gpu, stats, runningMean.buffer, runningVar.buffer, c, MOMENTUM, n * h * w);
      }],
      ['normalize', 8, () => runBatchnorm2dNormalize(gpu, x.buffer, stats, out, shape, variant)],
      ['backward sums', 8, () => runBatchnorm2dBackwardSums(
        gpu, x.buffer, dy.buffer, stats, coef, dw, db, shape, { training: true, reduce: true }, variant,
      )],
      ['backward_input', 12, () => runBatchnorm2dBackwardInput(gpu, x.buffer, dy.buffer, coef, out, shape, variant)],
    ];
    // The passes in order compute y, then dx, into `out`: check both before timing.
    passes[0]![2]();
    passes[1]![2]();
    const yError = relativeError(await gpu.read(out, bytes), want.y);
    passes[2]![2]();
    passes[3]![2]();
    const dxError = relativeError(await gpu.read(out, bytes), want.dx);
    if (!(Math.max(yError, dxError) <= 1e-4)) throw new Error(`variant ${variant}: rel err y ${yError}, dx ${dxError}`);
    console.log(`variant ${variant} (rel err y ${yError.toExponential(1)}, dx ${dxError.toExponential(1)})`);
    for (const [name, bytesPerElement, run] of passes) report(name, bytesPerElement, await time(gpu, run));
  }
  console.log('whole op (auto variant)');
  report('forward + backward', 32, await time(gpu, () => step().forEach((t) => t.dispose())));
  [stats, coef, dw, db, out].forEach((buffer) => gpu.free(buffer));
  [x, dy, weight, bias, runningMean, runningVar].forEach((t) => t.dispose());
  gpu.destroy();
}

await main();
