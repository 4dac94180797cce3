/**
 * `cnnx tune`: measures, on this adapter, every variant of every convolution pass a model's training step runs, and
 * keeps the fastest per shape in the adapter's KernelChoices table (src/runtime/kernel_choices.ts), which later runs
 * consult before the built-in heuristics.
 * The shapes come from the step itself: one training step runs with the table collecting, so every conv2d pass that
 * chose a variant (input-gradient passes that run as a forward convolution of dy included) is recorded at the
 * geometry it ran, batch slices included. Each is then timed on random data with GPU timestamps (wall time where the
 * adapter has none) as the bench times kernels: one run that builds the pipelines, then the median of a few. A
 * variant whose first timed run takes over SLOW_FACTOR times the best median so far is not run again (the reference
 * 'direct' kernels take seconds under lavapipe at a model's shapes); those near the fastest are timed again, taking
 * turns (CONTENDER_ROUNDS), so a host whose speed drifts by the minute does not pick by when each was timed.
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
import type { Classifier } from '../models/classifier.js';
import type { Gpu } from '../runtime/gpu.js';
import { adapterIdentity, KernelChoices } from '../runtime/kernel_choices.js';
import { hostData, upload } from './data.js';
import { measure, median, type MeasurePlan } from './measure.js';

export interface TuneRow {
  key: string;
  pass: Conv2dPass;
  geometry: Conv2dGeometry;
  /** What the built-in heuristics pick for this shape. */
  heuristic: Conv2dVariant;
  winner: Conv2dVariant;
  /** Median ms per variant timed (over its rounds for a contender; one wall-clock run for one stopped as too slow). */
  ms: Partial<Record<Conv2dVariant, number>>;
  clock: string;
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

/** The conv2d passes `step` runs on `gpu` (each shape once, in the order first asked). */
export async function collectConv2dShapes(gpu: Gpu, step: () => Promise<void>): Promise<Conv2dChoiceShape[]> {
  const previous = gpu.kernelChoices;
  const collector = new KernelChoices(adapterIdentity(gpu.info), previous?.entries() ?? []);
  collector.collecting = true;
  gpu.kernelChoices = collector;
  try {
    await step();
  } finally {
    gpu.kernelChoices = previous;
  }
  return [...collector.asked.values()].filter((s): s is Conv2dChoiceShape => (s as Conv2dChoiceShape).op === 'conv2d');
}

/** Times every variant of each pass that applies and returns the rows; the caller stores the winners. */
export async function tuneConv2d(gpu: Gpu, shapes: readonly Conv2dChoiceShape[], options: TuneOptions = {}): Promise<TuneRow[]> {
  const plan = options.plan ?? PLAN;
  const rows: TuneRow[] = [];
  const previous = gpu.kernelChoices;
  gpu.kernelChoices = null; // a pass that runs another (dx as a forward conv) times that one as the heuristics pick it
  try {
    for (const { pass, geometry } of shapes) {
      const variants = CONV2D_VARIANTS[pass].filter((v) => conv2dVariantApplies(pass, v, geometry, gpu));
      // The reference kernels last: they are the slow ones, and SLOW_FACTOR needs a best time to compare with.
      variants.sort((a, b) => Number(a === 'direct') - Number(b === 'direct'));
      const row = await timePass(gpu, pass, geometry, variants, plan);
      rows.push(row);
      options.log?.(`${row.key}: ${Object.entries(row.ms).map(([v, ms]) => `${v} ${ms.toFixed(3)} ms`).join(', ')} -> ${row.winner}`);
    }
  } finally {
    gpu.kernelChoices = previous;
  }
  return rows;
}

async function timePass(gpu: Gpu, pass: Conv2dPass, g: Conv2dGeometry, variants: Conv2dVariant[], plan: MeasurePlan): Promise<TuneRow> {
  const xCount = g.batch * g.cin * g.h * g.w;
  const yCount = g.batch * g.cout * g.oh * g.ow;
  const wCount = g.cout * (g.cin / g.groups) * g.kh * g.kw;
  const buffers: GPUBuffer[] = [];
  const random = (n: number, seed: number, label: string): GPUBuffer => {
    const b = upload(gpu, hostData(n, seed), label);
    buffers.push(b);
    return b;
  };
  const output = (n: number, label: string): GPUBuffer => {
    const b = gpu.alloc(4 * n, label);
    buffers.push(b);
    return b;
  };
  let run: (v: Conv2dVariant) => void;
  if (pass === 'forward') {
    const [x, w, b, y] = [random(xCount, 1, 'tune:x'), random(wCount, 2, 'tune:w'), random(g.cout, 3, 'tune:b'), output(yCount, 'tune:y')];
    run = (v) => runConv2dForwardSliced(gpu, x, w, b, y, g, v);
  } else if (pass === 'backwardInput') {
    const [dy, w, dx] = [random(yCount, 4, 'tune:dy'), random(wCount, 2, 'tune:w'), output(xCount, 'tune:dx')];
    run = (v) => runConv2dBackwardInputSliced(gpu, dy, w, dx, g, v);
  } else {
    const [x, dy, dw] = [random(xCount, 1, 'tune:x'), random(yCount, 4, 'tune:dy'), output(wCount, 'tune:dw')];
    run = (v) => runConv2dBackwardWeightSliced(gpu, x, dy, dw, g, v);
  }
  const ms: Partial<Record<Conv2dVariant, number>> = {};
  let clock = '';
  try {
    for (const v of variants) {
      const best = Math.min(...Object.values(ms));
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
    const best = Math.min(...Object.values(ms));
    const contenders = variants.filter((v) => ms[v]! <= CONTENDER_FACTOR * best);
    if (contenders.length > 1) {
      const rounds = new Map(contenders.map((v) => [v, [ms[v]!]]));
      for (let r = 1; r < CONTENDER_ROUNDS; r++) {
        for (const v of contenders) rounds.get(v)!.push((await measure(gpu, () => run(v), { ...plan, warmup: 1 })).ms);
      }
      for (const v of contenders) ms[v] = median(rounds.get(v)!);
    }
  } finally {
    buffers.forEach((b) => gpu.free(b));
  }
  const heuristic = heuristicConv2dVariant(pass, g, gpu);
  const fastest = variants.reduce((a, b) => (ms[b]! < ms[a]! ? b : a));
  const winner = ms[heuristic]! <= (1 + NOISE) * ms[fastest]! ? heuristic : fastest;
  return { key: conv2dChoiceKey(pass, g), pass, geometry: g, heuristic, winner, ms, clock };
}

/** `table` with each row's winner stored (entries for other shapes kept). */
export function storeWinners(table: KernelChoices, rows: readonly TuneRow[]): KernelChoices {
  for (const row of rows) table.set(row.key, row.winner);
  return table;
}
