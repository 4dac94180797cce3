/**
 * End-to-end throughput, cnnx against the same network written with TensorFlow.js ops on the same adapter:
 * - cnnx_train: one CNN-X training step as src/train/trainer.ts runs it (upload the batch, forward, mean softmax
 *   cross-entropy, backward, Adam over every parameter, free the gradients), batch 15 at 224x224 (--quick: 2),
 *   until the GPU is done; images/s = batch / step time. The peer runs the same four branches (conv + bias, batch
 *   statistics normalisation, ReLU, max/avg pool 2 stride 3), concat, fc and Adam through tf.train.adam.minimize,
 *   without the running-statistics update (16 values per branch).
 * - resnet50_infer: ResNet-50 inference (eval mode: batch norm from running statistics, no graph) at 224x224,
 *   batch 1 (latency-bound use: one image at a time), 1000 classes; the peer is ResNet-50 v1.5 from tfjs ops (conv,
 *   batchNorm, relu, maxPool, mean, matMul), NHWC.
 * Both clocks are wall: an end-to-end step includes the host's share. Training is timed two ways, for both sides:
 * one step at a time (record, then wait for the GPU), and back to back as src/train/trainer.ts runs it (each step
 * is submitted when the next uploads its batch, so the host records step i+1 while the GPU runs step i; one wait
 * per burst of steps). images/s is the back-to-back figure, the throughput a training run gets; where a step is so
 * slow that a burst would be one step (the software GPU), both are the same measurement. One extra cnnx step is
 * profiled on the GPU to say which kernels dominate it.
 */
import { createRng } from '../data/prng.js';
import { backward } from '../graph/autograd.js';
import { softmaxCrossEntropy } from '../graph/ops/softmax_cross_entropy.js';
import { keep, tidy } from '../graph/scope.js';
import { noGrad } from '../graph/tape.js';
import { Tensor } from '../graph/tensor.js';
import { ResNet } from '../models/backbones/resnet.js';
import { CNNX_PAPER } from '../models/cnnx.js';
import { modelEntry } from '../models/registry.js';
import type { Gpu } from '../runtime/gpu.js';
import { Adam } from '../train/adam.js';
import { hostData, makeSets } from './data.js';
import { measureWall, median, planFor, type MeasurePlan } from './measure.js';
import { onGpu, takePeerErrors, type Tf, type Tf4, type TfScalar, type TfTensor } from './peer_tfjs.js';
import type { E2eRow } from './report.js';

export interface E2eCase {
  name: 'cnnx_train' | 'resnet50_infer';
  shape: string;
  run(gpu: Gpu, plan: MeasurePlan, tf: Tf | null, peerUnavailable: string | null, log: (line: string) => void): Promise<E2eRow>;
}

const INPUT = 224;
const CLASSES_CNNX = 4;
const CLASSES_IMAGENET = 1000;
/** Host batches cycled through, like a data loader's. */
const SETS = 3;
/** A back-to-back burst lasts about this long, so its one wait for the GPU costs little of it. */
const BURST_MS = 250;
const MAX_BURST = 32;

export function e2eCases(quick: boolean): E2eCase[] {
  const trainBatch = quick ? 2 : 15;
  const inferBatch = 1;
  return [
    {
      name: 'cnnx_train',
      shape: `x [${trainBatch}, 1, ${INPUT}, ${INPUT}], ${CLASSES_CNNX} classes, Adam`,
      run: (gpu, plan, tf, unavailable, log) => cnnxTrain(gpu, trainBatch, plan, tf, unavailable, log),
    },
    {
      name: 'resnet50_infer',
      shape: `x [${inferBatch}, 3, ${INPUT}, ${INPUT}], ${CLASSES_IMAGENET} classes, eval`,
      run: (gpu, plan, tf, unavailable, log) => resnet50Infer(gpu, inferBatch, plan, tf, unavailable, log),
    },
  ];
}

/** End-to-end steps are few and long: at most 2 warm-ups and as many timed steps as the case plan allows. */
function e2ePlan(plan: MeasurePlan, firstMs: number): MeasurePlan {
  return planFor({ ...plan, warmup: Math.min(plan.warmup, 1) }, firstMs);
}

async function cnnxTrain(gpu: Gpu, batch: number, plan: MeasurePlan, tf: Tf | null, unavailable: string | null,
  log: (line: string) => void): Promise<E2eRow> {
  const shape = [batch, 1, INPUT, INPUT];
  const row: E2eRow = { name: 'cnnx_train', shape: `x [${shape.join(', ')}]`, batch, images_per_s: null, ms_per_step: null, samples: 0, peer: null };
  const model = modelEntry('cnnx').build({ gpu, rng: createRng(0) }, { numClasses: CLASSES_CNNX });
  const optimizer = new Adam(model.namedParameters(), { lr: 3e-4 });
  const xs = makeSets(SETS, (s) => hostData(batch * INPUT * INPUT, 100 + s, 0, 1));
  const labels = makeSets(SETS, (s) => Float32Array.from({ length: batch }, (_, i) => (i + s) % CLASSES_CNNX));
  const lossOut = keep(Tensor.zeros(gpu, [1], 'bench:e2e:loss'));
  try {
    model.train();
    const record = (i: number): void =>
      tidy(() => {
        const x = Tensor.fromData(gpu, xs[i % SETS]!, shape, 'train:x');
        const y = Tensor.fromData(gpu, labels[i % SETS]!, [batch], 'train:labels');
        const loss = softmaxCrossEntropy(model.forward(x), y);
        backward(loss);
        optimizer.step();
        optimizer.zeroGrad();
        gpu.copy(loss.buffer, 0, lossOut.buffer, 0, 4);
      });
    const burst = async (first: number, count: number): Promise<number> => {
      const t0 = performance.now();
      for (let i = first; i < first + count; i++) record(i);
      const hostMs = performance.now() - t0;
      await gpu.sync();
      return hostMs;
    };
    const t0 = performance.now();
    await burst(0, 1);
    const firstMs = performance.now() - t0;
    const loss = (await lossOut.read())[0]!;
    if (!Number.isFinite(loss)) throw new Error(`the first step's loss is ${loss}`);
    log(`  cnnx: first step ${firstMs.toFixed(0)} ms, loss ${loss.toFixed(4)}`);
    fill(row, await timeTraining(burst, plan, firstMs), batch);
    const final = (await lossOut.read())[0]!;
    if (!Number.isFinite(final)) throw new Error(`the loss after ${row.samples} timed samples is ${final}`);
    row.profile = await profileStep(gpu, () => record(0));
  } catch (error) {
    row.error = message(error);
  } finally {
    lossOut.dispose();
    optimizer.dispose();
    model.dispose();
  }
  row.peer = await peerRun('tfjs-webgpu (tf.train.adam.minimize, NHWC)', tf, unavailable, log, (t) => tfjsCnnxTrain(t, batch, plan));
  return row;
}

async function resnet50Infer(gpu: Gpu, batch: number, plan: MeasurePlan, tf: Tf | null, unavailable: string | null,
  log: (line: string) => void): Promise<E2eRow> {
  const shape = [batch, 3, INPUT, INPUT];
  const row: E2eRow = { name: 'resnet50_infer', shape: `x [${shape.join(', ')}]`, batch, images_per_s: null, ms_per_step: null, samples: 0, peer: null };
  const model = new ResNet({ gpu, rng: createRng(0) }, 'resnet50', { numClasses: CLASSES_IMAGENET, inputSize: INPUT });
  const xs = makeSets(SETS, (s) => hostData(batch * 3 * INPUT * INPUT, 200 + s));
  const logits = keep(Tensor.zeros(gpu, [batch, CLASSES_IMAGENET], 'bench:e2e:logits'));
  try {
    model.eval();
    const record = (i: number): void =>
      noGrad(() =>
        tidy(() => {
          const out = model.forward(Tensor.fromData(gpu, xs[i % SETS]!, shape, 'predict:x'));
          gpu.copy(out.buffer, 0, logits.buffer, 0, batch * CLASSES_IMAGENET * 4);
        }),
      );
    const step = async (i: number): Promise<void> => {
      record(i);
      await gpu.sync();
    };
    const t0 = performance.now();
    await step(0);
    const firstMs = performance.now() - t0;
    const out = await logits.read();
    if (!out.every(Number.isFinite)) throw new Error('ResNet-50 gave non-finite logits');
    log(`  cnnx: first run ${firstMs.toFixed(0)} ms`);
    const t = await measureWall(step, e2ePlan(plan, firstMs), 1);
    fill(row, { ms: t.ms, samples: t.samples, syncedMs: t.ms, stepsPerSync: 1 }, batch);
    row.profile = await profileStep(gpu, () => record(0));
  } catch (error) {
    row.error = message(error);
  } finally {
    logits.dispose();
    model.dispose();
  }
  row.peer = await peerRun('tfjs-webgpu (ops, NHWC)', tf, unavailable, log, (t) => tfjsResnet50Infer(t, batch, plan));
  return row;
}

interface StepTiming {
  /** Wall ms per step back to back (one step at a time where a burst would be one step). */
  ms: number;
  samples: number;
  /** Wall ms per step, one step at a time. */
  syncedMs: number;
  stepsPerSync: number;
  /** Host ms per step recording and submitting back to back (median over the timed bursts). */
  hostMs?: number;
}

/**
 * Times training steps one at a time, then back to back in bursts of about BURST_MS (see the file header).
 * `burst(first, count)` records steps first..first+count-1, waits for the GPU to finish them, and returns the host
 * ms the recording took: where that is near the wall time, the host sets the pace, not the GPU.
 */
async function timeTraining(burst: (first: number, count: number) => Promise<number>, plan: MeasurePlan,
  firstMs: number): Promise<StepTiming> {
  const synced = await measureWall(async (i) => { await burst(i, 1); }, e2ePlan(plan, firstMs), 1);
  const count = Math.min(MAX_BURST, Math.floor(BURST_MS / synced.ms));
  if (count < 2) return { ms: synced.ms, samples: synced.samples, syncedMs: synced.ms, stepsPerSync: 1 };
  const burstPlan = e2ePlan(plan, synced.ms * count);
  const hostPerStep: number[] = [];
  const bursts = await measureWall(async (i) => {
    hostPerStep.push((await burst(i * count, count)) / count);
  }, burstPlan, 1);
  // The warm-up burst creates the staging buffers the others reuse (about 2 ms each for CNN-X's 3 MB on an H100).
  const hostMs = median(hostPerStep.slice(burstPlan.warmup));
  return { ms: bursts.ms / count, samples: bursts.samples, syncedMs: synced.ms, stepsPerSync: count, hostMs };
}

function fill(row: E2eRow, t: StepTiming, batch: number): void {
  row.ms_per_step = t.ms;
  row.images_per_s = (1000 * batch) / t.ms;
  row.samples = t.samples;
  row.ms_per_step_synced = t.syncedMs;
  row.steps_per_sync = t.stepsPerSync;
  if (t.hostMs !== undefined) row.host_ms_per_step = t.hostMs;
}

/** GPU ms per kernel name over one profiled step, largest first. */
async function profileStep(gpu: Gpu, record: () => void): Promise<NonNullable<E2eRow['profile']>> {
  if (!gpu.hasTimestamps) return [];
  gpu.startProfiling();
  record();
  const times = await gpu.stopProfiling();
  const by = new Map<string, { ms: number; dispatches: number }>();
  for (const t of times) {
    const e = by.get(t.name) ?? { ms: 0, dispatches: 0 };
    e.ms += t.ms;
    e.dispatches++;
    by.set(t.name, e);
  }
  return [...by].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
}

async function peerRun(name: string, tf: Tf | null, unavailable: string | null, log: (line: string) => void,
  run: (tf: Tf) => Promise<{ ms: number; batch: number; syncedMs?: number }>): Promise<E2eRow['peer']> {
  if (!tf) return { name, images_per_s: null, reason: unavailable ?? 'peer not loaded' };
  takePeerErrors();
  try {
    const { ms, batch, syncedMs } = await run(tf);
    const errors = takePeerErrors();
    if (errors.length > 0) return { name, images_per_s: null, reason: `tfjs's kernels failed WebGPU validation: ${errors[0]!.split('\n')[0]}` };
    return { name, images_per_s: (1000 * batch) / ms, ms_per_step: ms, ...(syncedMs === undefined ? {} : { ms_per_step_synced: syncedMs }) };
  } catch (error) {
    log(`  peer failed: ${message(error)}`);
    return { name, images_per_s: null, reason: `failed: ${message(error)}` };
  }
}

/** Glorot-uniform weights for the peer's networks (values do not change the time, only keep activations finite). */
function glorot(tf: Tf, shape: number[], fanIn: number, fanOut: number, seed: number): TfTensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.tensor(hostData(shape.reduce((a, b) => a * b, 1), seed, -limit, limit), shape);
}

async function tfjsCnnxTrain(tf: Tf, batch: number, plan: MeasurePlan): Promise<{ ms: number; batch: number; syncedMs: number }> {
  const size = Math.floor((INPUT - CNNX_PAPER.poolKernel) / CNNX_PAPER.poolStride) + 1;
  const features = CNNX_PAPER.branches.reduce((s, b) => s + b.filters, 0) * size * size;
  const branches = CNNX_PAPER.branches.map((b, i) => ({
    pool: b.pool,
    w: tf.variable(glorot(tf, [b.kernel, b.kernel, 1, b.filters], b.kernel ** 2, b.kernel ** 2 * b.filters, 10 + i)),
    b: tf.variable(tf.zeros([b.filters])),
    gamma: tf.variable(tf.ones([b.filters])),
    beta: tf.variable(tf.zeros([b.filters])),
  }));
  const fcW = tf.variable(glorot(tf, [features, CLASSES_CNNX], features, CLASSES_CNNX, 20));
  const fcB = tf.variable(tf.zeros([CLASSES_CNNX]));
  const xs = makeSets(SETS, (s) => onGpu(tf, tf.tensor4d(hostData(batch * INPUT * INPUT, 100 + s, 0, 1), [batch, INPUT, INPUT, 1])));
  const ys = makeSets(SETS, (s) => onGpu(tf, tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i + s) % CLASSES_CNNX), 'int32'), CLASSES_CNNX), 'float32')));
  const optimizer = tf.train.adam(3e-4);
  const vars = [...branches.flatMap((b) => [b.w, b.b, b.gamma, b.beta]), fcW, fcB];
  try {
    const record = (i: number): TfScalar => optimizer.minimize(() => {
      const x = xs[i % SETS]! as Tf4;
      const outs = branches.map((br) => {
        let y: Tf4 = tf.fused.conv2d({ x, filter: br.w as Tf4, strides: 1, pad: 'same', bias: br.b });
        const { mean, variance } = tf.moments(y, [0, 1, 2]);
        y = tf.relu(tf.batchNorm(y, mean, variance, br.beta, br.gamma, CNNX_PAPER.bnEps)) as Tf4;
        const k = CNNX_PAPER.poolKernel;
        const s = CNNX_PAPER.poolStride;
        return br.pool === 'max' ? tf.maxPool(y, k, s, 'valid') : tf.avgPool(y, k, s, 'valid');
      });
      const logits = tf.add(tf.matMul(tf.reshape(tf.concat(outs, 3), [batch, features]), fcW), fcB);
      return tf.losses.softmaxCrossEntropy(ys[i % SETS]!, logits) as TfScalar;
    }, true, vars)!;
    // Reading the last loss waits for the burst, as gpu.sync() does for cnnx.
    const burst = async (first: number, count: number): Promise<number> => {
      const costs: TfScalar[] = [];
      try {
        const t0 = performance.now();
        for (let i = first; i < first + count; i++) costs.push(record(i));
        const hostMs = performance.now() - t0;
        const loss = (await costs[costs.length - 1]!.data())[0]!;
        if (!Number.isFinite(loss)) throw new Error(`the peer's loss is ${loss}`);
        return hostMs;
      } finally {
        costs.forEach((c) => c.dispose());
      }
    };
    const t0 = performance.now();
    await burst(0, 1);
    const t = await timeTraining(burst, plan, performance.now() - t0);
    return { ms: t.ms, batch, syncedMs: t.syncedMs };
  } finally {
    optimizer.dispose();
    [...xs, ...ys].forEach((t) => t.dispose());
    vars.forEach((v) => v.dispose());
  }
}

async function tfjsResnet50Infer(tf: Tf, batch: number, plan: MeasurePlan): Promise<{ ms: number; batch: number }> {
  const owned: TfTensor[] = [];
  let seed = 1000;
  const convBn = (cin: number, cout: number, k: number, stride: number) => {
    const w = glorot(tf, [k, k, cin, cout], k * k * cin, k * k * cout, seed++);
    const bn = [tf.zeros([cout]), tf.ones([cout]), tf.zeros([cout]), tf.ones([cout])] as const; // mean, var, beta, gamma
    owned.push(w, ...bn);
    return (x: TfTensor, relu: boolean): TfTensor => {
      const y = tf.batchNorm(tf.conv2d(x as Tf4, w as Tf4, stride, k >> 1), bn[0], bn[1], bn[2], bn[3], 1e-5);
      return relu ? tf.relu(y) : y;
    };
  };
  const stem = convBn(3, 64, 7, 2);
  const blocks: ((x: TfTensor) => TfTensor)[] = [];
  let channels = 64;
  [3, 4, 6, 3].forEach((count, i) => {
    const planes = 64 * 2 ** i;
    for (let j = 0; j < count; j++) {
      const stride = j === 0 && i > 0 ? 2 : 1;
      const out = planes * 4;
      const c1 = convBn(channels, planes, 1, 1);
      const c2 = convBn(planes, planes, 3, stride);
      const c3 = convBn(planes, out, 1, 1);
      const down = stride !== 1 || channels !== out ? convBn(channels, out, 1, stride) : null;
      blocks.push((x) => tf.relu(tf.add(c3(c2(c1(x, true), true), false), down ? down(x, false) : x)));
      channels = out;
    }
  });
  const fcW = glorot(tf, [channels, CLASSES_IMAGENET], channels, CLASSES_IMAGENET, seed++);
  const fcB = tf.zeros([CLASSES_IMAGENET]);
  owned.push(fcW, fcB);
  const xs = makeSets(SETS, (s) => onGpu(tf, tf.tensor4d(hostData(batch * 3 * INPUT * INPUT, 200 + s), [batch, INPUT, INPUT, 3])));
  try {
    const step = async (i: number): Promise<void> => {
      const logits = tf.tidy(() => {
        let y = tf.maxPool(stem(xs[i % SETS]!, true) as Tf4, 3, 2, 1) as TfTensor;
        for (const block of blocks) y = block(y);
        return tf.add(tf.matMul(tf.mean(y, [1, 2]), fcW), fcB);
      });
      const out = await logits.data();
      logits.dispose();
      if (!out.every(Number.isFinite)) throw new Error("the peer's ResNet-50 gave non-finite logits");
    };
    const t0 = performance.now();
    await step(0);
    const t = await measureWall(step, e2ePlan(plan, performance.now() - t0), 1);
    return { ms: t.ms, batch };
  } finally {
    [...owned, ...xs].forEach((t) => t.dispose());
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
