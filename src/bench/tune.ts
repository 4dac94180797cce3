/**
 * `cnnx tune`: measures, on this adapter, every variant of every convolution pass and matrix product (the linear
 * layers' passes) a model's training step runs, and keeps the fastest per shape in the adapter's KernelChoices table
 * (src/runtime/kernel_choices.ts), which later runs consult before the built-in heuristics.
 * The shapes come from the step itself: one training step runs with the table collecting, so every conv2d pass that
 * chose a variant (input-gradient passes that run as a forward convolution of dy included) and every product is
 * recorded at the geometry it ran, batch and weight slices included. Each is then timed on random data with GPU
 * timestamps (wall time where the adapter has none) as the bench times kernels: one run that builds the pipelines,
 * then the median of a few. A variant whose first timed run takes over SLOW_FACTOR times the best median so far is
 * not run again (the reference 'direct' and 'naive' kernels take seconds under lavapipe at a model's shapes); those
 * near the fastest are timed again, taking turns (CONTENDER_ROUNDS), so a host whose speed drifts by the minute does
 * not pick by when each was timed.
 */
import { backward } from '../graph/autograd.js';
import { runConv2dBackwardInputSliced, runConv2dBackwardWeightSliced, runConv2dForwardSliced } from '../graph/ops/conv2d.js';
import { softmaxCrossEntropy } from '../graph/ops/softmax_cross_entropy.js';
import { tidy } from '../graph/scope.js';
import { Tensor } from '../graph/tensor.js';
import {
  CONV2D_VARIANTS,
  conv2dChoiceKey,
  conv2dVariantApplies,
  heuristicConv2dVariant,
  type Conv2dChoiceShape,
  type Conv2dGeometry,
  type Conv2dPass,
  type Conv2dVariant,
} from '../kernels/conv2d.js';
import {
  chooseMatmulVariant,
  MATMUL_VARIANTS,
  matmulChoiceKey,
  matmulVariantApplies,
  runMatmul,
  type MatmulChoiceShape,
  type MatmulDims,
  type MatmulVariant,
  type MatrixOperand,
} from '../kernels/matmul.js';
import type { Classifier } from '../models/classifier.js';
import type { Gpu } from '../runtime/gpu.js';
import { adapterIdentity, KernelChoices } from '../runtime/kernel_choices.js';
import { hostData, upload } from './data.js';
import { measure, median, type MeasurePlan } from './measure.js';

/** One timed shape: its key in the table, what the heuristics pick, the winner, and the times behind it. */
interface TimedShape<V extends string> {
  key: string;
  /** What the built-in heuristics pick for this shape. */
  heuristic: V;
  winner: V;
  /** Median ms per variant timed (over its rounds for a contender; one wall-clock run for one stopped as too slow). */
  ms: Partial<Record<V, number>>;
  clock: string;
}

export interface Conv2dTuneRow extends TimedShape<Conv2dVariant> {
  pass: Conv2dPass;
  geometry: Conv2dGeometry;
}

export interface MatmulTuneRow extends TimedShape<MatmulVariant> {
  pass: 'matmul';
  dims: MatmulDims;
  transA: boolean;
  transB: boolean;
}

export type TuneRow = Conv2dTuneRow | MatmulTuneRow;

/** The shapes a step ran that tuning times. */
export interface TuneShapes {
  conv2d: Conv2dChoiceShape[];
  matmul: MatmulChoiceShape[];
}

export interface TuneOptions {
  plan?: MeasurePlan;
  log?: (line: string) => void;
}

const PLAN: MeasurePlan = { warmup: 0, runs: 7, minRuns: 3, budgetMs: 3000 };
const SLOW_FACTOR = 4;
/**
 * Variants within this factor of the fastest after one timing each are timed again, taking turns, CONTENDER_ROUNDS
 * rounds in all, and keep the median of their rounds: on a shared 2-core host the same kernel read 62-106 ms from
 * one minute to the next, and one timing each once picked 'subgroup' for CNN-X's 9x9 forward (47 against 64 ms)
 * and, an hour later, 'depthwise' (55 against 59), where turns in one process put them at 46 and 55.
 */
const CONTENDER_FACTOR = 1.5;
const CONTENDER_ROUNDS = 3;
/** The heuristic's variant stays unless another is faster by more than this fraction (run-to-run noise). */
const NOISE = 0.03;

/** One training step of `model` on random data (the loss, backward; no optimizer step: it runs no convolution). */
export async function runTrainingStep(gpu: Gpu, model: Classifier, batch: number): Promise<void> {
  const { channels, height, width } = model.input;
  const shape = [batch, channels, height, width];
  const data = hostData(batch * channels * height * width, 7);
  const labels = Float32Array.from({ length: batch }, (_, i) => i % model.numClasses);
  model.train();
  tidy(() => {
    const x = Tensor.fromData(gpu, data, shape, 'tune:x');
    const y = Tensor.fromData(gpu, labels, [batch], 'tune:labels');
    backward(softmaxCrossEntropy(model.forward(x), y));
  });
  for (const p of model.parameters()) {
    p.grad?.dispose();
    p.grad = null;
  }
  await gpu.sync();
}

/** The conv2d passes and products `step` runs on `gpu` (each shape once, in the order first asked). */
export async function collectShapes(gpu: Gpu, step: () => Promise<void>): Promise<TuneShapes> {
  const previous = gpu.kernelChoices;
  const collector = new KernelChoices(adapterIdentity(gpu.info), previous?.entries() ?? []);
  collector.collecting = true;
  gpu.kernelChoices = collector;
  try {
    await step();
  } finally {
    gpu.kernelChoices = previous;
  }
  const asked = [...collector.asked.values()] as (Conv2dChoiceShape | MatmulChoiceShape)[];
  return {
    conv2d: asked.filter((s): s is Conv2dChoiceShape => s.op === 'conv2d'),
    matmul: asked.filter((s): s is MatmulChoiceShape => s.op === 'matmul'),
  };
}

/** Times every variant of each pass that applies and returns the rows; the caller stores the winners. */
export async function tuneConv2d(
  gpu: Gpu,
  shapes: readonly Conv2dChoiceShape[],
  options: TuneOptions = {},
): Promise<Conv2dTuneRow[]> {
  const plan = options.plan ?? PLAN;
  const rows: Conv2dTuneRow[] = [];
  const previous = gpu.kernelChoices;
  gpu.kernelChoices = null; // a pass that runs another (dx as a forward conv) times that one as the heuristics pick it
  try {
    for (const { pass, geometry } of shapes) {
      const variants = CONV2D_VARIANTS[pass].filter((v) => conv2dVariantApplies(pass, v, geometry, gpu));
      // The reference kernels last: they are the slow ones, and SLOW_FACTOR needs a best time to compare with.
      variants.sort((a, b) => Number(a === 'direct') - Number(b === 'direct'));
      const row = await timePass(gpu, pass, geometry, variants, plan);
      rows.push(row);
      options.log?.(rowLine(row));
    }
  } finally {
    gpu.kernelChoices = previous;
  }
  return rows;
}

async function timePass(
  gpu: Gpu,
  pass: Conv2dPass,
  g: Conv2dGeometry,
  variants: Conv2dVariant[],
  plan: MeasurePlan,
): Promise<Conv2dTuneRow> {
  const xCount = g.batch * g.cin * g.h * g.w;
  const yCount = g.batch * g.cout * g.oh * g.ow;
  const wCount = g.cout * (g.cin / g.groups) * g.kh * g.kw;
  const buffers = new TuneBuffers(gpu);
  let run: (v: Conv2dVariant) => void;
  if (pass === 'forward') {
    const [x, w, b] = [buffers.random(xCount, 1), buffers.random(wCount, 2), buffers.random(g.cout, 3)];
    const y = buffers.output(yCount);
    run = (v) => runConv2dForwardSliced(gpu, x, w, b, y, g, v);
  } else if (pass === 'backwardInput') {
    const [dy, w, dx] = [buffers.random(yCount, 4), buffers.random(wCount, 2), buffers.output(xCount)];
    run = (v) => runConv2dBackwardInputSliced(gpu, dy, w, dx, g, v);
  } else {
    const [x, dy, dw] = [buffers.random(xCount, 1), buffers.random(yCount, 4), buffers.output(wCount)];
    run = (v) => runConv2dBackwardWeightSliced(gpu, x, dy, dw, g, v);
  }
  const timed = await timeVariants(gpu, variants, run, plan).finally(() => buffers.free());
  const heuristic = heuristicConv2dVariant(pass, g, gpu);
  const winner = winnerOf(variants, timed.ms, heuristic);
  return { key: conv2dChoiceKey(pass, g), pass, geometry: g, heuristic, winner, ...timed };
}

/** Times every variant of each product that applies and returns the rows; the caller stores the winners. */
export async function tuneMatmul(
  gpu: Gpu,
  shapes: readonly MatmulChoiceShape[],
  options: TuneOptions = {},
): Promise<MatmulTuneRow[]> {
  const plan = options.plan ?? PLAN;
  const rows: MatmulTuneRow[] = [];
  const previous = gpu.kernelChoices;
  gpu.kernelChoices = null; // the heuristic is timed as the heuristic, not as an earlier tune's pick
  try {
    for (const { dims, transA, transB } of shapes) {
      const row = await timeProduct(gpu, dims, transA, transB, plan);
      rows.push(row);
      options.log?.(rowLine(row));
    }
  } finally {
    gpu.kernelChoices = previous;
  }
  return rows;
}

/** A product on random operands stored densely (each row stride its stored width), as linear lays them out. */
async function timeProduct(
  gpu: Gpu,
  d: MatmulDims,
  transA: boolean,
  transB: boolean,
  plan: MeasurePlan,
): Promise<MatmulTuneRow> {
  const buffers = new TuneBuffers(gpu);
  const a: MatrixOperand = { binding: buffers.random(d.rows * d.depth, 5), ld: transA ? d.rows : d.depth };
  const b: MatrixOperand = { binding: buffers.random(d.depth * d.cols, 6), ld: transB ? d.depth : d.cols };
  a.trans = transA;
  b.trans = transB;
  const c: MatrixOperand = { binding: buffers.output(d.rows * d.cols), ld: d.cols };
  const variants = MATMUL_VARIANTS.filter((v) => matmulVariantApplies(v, d, a, b, c, gpu));
  variants.sort((x, y) => Number(x === 'naive') - Number(y === 'naive')); // the reference last, as for convs
  const run = (variant: MatmulVariant) => runMatmul(gpu, a, b, c, d, { variant });
  const timed = await timeVariants(gpu, variants, run, plan).finally(() => buffers.free());
  const heuristic = chooseMatmulVariant(d, a, b, c, gpu);
  const key = matmulChoiceKey(d, transA, transB);
  const winner = winnerOf(variants, timed.ms, heuristic);
  return { key, pass: 'matmul', dims: { ...d }, transA, transB, heuristic, winner, ...timed };
}

/** A progress line: the shape's key, each variant's time, the winner. */
function rowLine(row: TuneRow): string {
  const times = Object.entries(row.ms as Record<string, number>).map(([v, ms]) => `${v} ${ms.toFixed(3)} ms`);
  return `${row.key}: ${times.join(', ')} -> ${row.winner}`;
}

/** Random inputs and outputs of one timed shape, freed together. */
class TuneBuffers {
  private readonly buffers: GPUBuffer[] = [];
  constructor(private readonly gpu: Gpu) {}

  random(n: number, seed: number): GPUBuffer {
    const b = upload(this.gpu, hostData(n, seed), 'tune:input');
    this.buffers.push(b);
    return b;
  }

  output(n: number): GPUBuffer {
    const b = this.gpu.alloc(4 * n, 'tune:output');
    this.buffers.push(b);
    return b;
  }

  free(): void {
    this.buffers.forEach((b) => this.gpu.free(b));
  }
}

/**
 * Each variant's median time: one run that builds the pipelines, one wall-clock run (a variant over SLOW_FACTOR times
 * the best so far stops there), then the timed runs; those within CONTENDER_FACTOR of the fastest are timed again,
 * taking turns.
 */
async function timeVariants<V extends string>(
  gpu: Gpu,
  variants: readonly V[],
  run: (v: V) => void,
  plan: MeasurePlan,
): Promise<{ ms: Partial<Record<V, number>>; clock: string }> {
  const ms: Partial<Record<V, number>> = {};
  let clock = '';
  for (const v of variants) {
    const best = Math.min(...(Object.values(ms) as number[]));
    run(v); // builds the pipelines
    await gpu.sync();
    const t0 = performance.now();
    run(v);
    await gpu.sync();
    const wallMs = performance.now() - t0;
    if (wallMs > SLOW_FACTOR * best) {
      ms[v] = wallMs;
      continue;
    }
    const timing = await measure(gpu, () => run(v), { ...plan, warmup: 1 });
    ms[v] = timing.ms;
    clock = timing.clock;
  }
  const best = Math.min(...(Object.values(ms) as number[]));
  const contenders = variants.filter((v) => ms[v]! <= CONTENDER_FACTOR * best);
  if (contenders.length > 1) {
    const rounds = new Map(contenders.map((v) => [v, [ms[v]!]]));
    for (let r = 1; r < CONTENDER_ROUNDS; r++) {
      for (const v of contenders) rounds.get(v)!.push((await measure(gpu, () => run(v), { ...plan, warmup: 1 })).ms);
    }
    for (const v of contenders) ms[v] = median(rounds.get(v)!);
  }
  return { ms, clock };
}

/** The heuristic's variant unless another is faster by more than NOISE. */
function winnerOf<V extends string>(variants: readonly V[], ms: Partial<Record<V, number>>, heuristic: V): V {
  const fastest = variants.reduce((a, b) => (ms[b]! < ms[a]! ? b : a));
  return ms[heuristic] !== undefined && ms[heuristic]! <= (1 + NOISE) * ms[fastest]! ? heuristic : fastest;
}

/** `table` with each row's winner stored (entries for other shapes kept). */
export function storeWinners(table: KernelChoices, rows: readonly TuneRow[]): KernelChoices {
  for (const row of rows) table.set(row.key, row.winner);
  return table;
}
