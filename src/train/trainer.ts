/**
 * Trains a classifier: Adam on mean softmax cross-entropy, batch statistics in batch norm, a seeded shuffle per
 * epoch. A step is encoded as one submission with no read back; per-step losses and logits are copied into GPU
 * buffers and read only to log (every few seconds) and at the end of an epoch. After every epoch: evaluation on
 * the test split, then the sink (the CLI writes the run folder and an atomic checkpoint there). A non-finite loss
 * stops the run naming the epoch and step before the sink sees that epoch, so the last checkpoint stays as it was.
 * A loss can stay finite while the weights are not (ReLU maps NaN to 0 on some drivers), so a sink that saves the
 * state checks it with assertFiniteState first.
 */
import { batchIndices, epochOrder, loadBatch } from '../data/batches.js';
import { ImageCache } from '../data/image_cache.js';
import type { DecodePool } from '../data/decode_pool.js';
import { Prefetch } from '../data/prefetch.js';
import type { DatasetSplit } from '../data/dataset.js';
import { backward } from '../graph/autograd.js';
import { setDropoutStep } from '../graph/modules/dropout.js';
import { softmaxCrossEntropy } from '../graph/ops/softmax_cross_entropy.js';
import { keep, tidy } from '../graph/scope.js';
import { Tensor } from '../graph/tensor.js';
import type { WeightMap } from '../io/weight_tensor.js';
import type { Classifier } from '../models/classifier.js';
import { Adam } from './adam.js';
import { toModelInput } from './input.js';
import { evaluate, type EvalReport } from './metrics.js';
import { argmax, predictItems } from './run_model.js';
import type { Progress } from './progress.js';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
  shuffle: boolean;
}

export interface EpochRecord {
  epoch: number;
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  imagesPerSecond: number;
  seconds: number;
  /**
   * Most bytes live in the GPU buffer pool during the epoch (its steps and its evaluation): parameters, Adam's
   * moments, activations, gradients (gpu.poolStats().peakInUseBytes, reset at the epoch's start).
   */
  peakGpuBytes: number;
  test: EvalReport | null;
  testLoss: number | null;
  /** Wall seconds the test split's evaluation took after the epoch's steps (null without a test split). */
  evalSeconds: number | null;
}

/** What happens after each epoch; the CLI writes the checkpoint and the run folder here. */
export interface EpochSink {
  (record: EpochRecord, state: { model: Classifier; optimizer: Adam }): Promise<void> | void;
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

export interface TrainRun {
  model: Classifier;
  optimizer: Adam;
  train: DatasetSplit;
  test?: DatasetSplit;
  config: TrainConfig;
  /** Epochs already done (when resuming). */
  startEpoch?: number;
  progress?: Progress;
  onEpoch?: EpochSink;
  cache?: ImageCache;
  /** Worker threads that decode images (default: the process's shared pool; null: decode on this thread). */
  decoder?: DecodePool | null;
  /** Seconds between loss read-backs for the progress line. */
  logInterval?: number;
}

export async function train(run: TrainRun): Promise<EpochRecord[]> {
  const { model, optimizer, config } = run;
  const gpu = model.parameters()[0]!.gpu;
  const k = model.numClasses;
  const n = run.train.items.length;
  const size = { height: model.input.height, width: model.input.width };
  const cache = run.cache ?? new ImageCache();
  const stepsPerEpoch = Math.ceil(n / config.batchSize);
  const losses = keep(Tensor.zeros(gpu, [stepsPerEpoch], 'train:losses'));
  const logits = keep(Tensor.zeros(gpu, [n, k], 'train:logits'));
  const records: EpochRecord[] = [];
  let step = optimizer.stepCount;

  try {
    for (let epoch = (run.startEpoch ?? 0) + 1; epoch <= config.epochs; epoch++) {
      model.train();
      const order = config.shuffle ? epochOrder(n, config.seed, epoch) : Uint32Array.from({ length: n }, (_, i) => i);
      const batches = batchIndices(order, config.batchSize);
      gpu.pool.resetPeak();
      const started = performance.now();
      let lastRead = started;
      let checked = 0;
      let seen = 0;
      const inputs = new Prefetch(
        batches.length,
        (b) => loadInput(run.train, batches[b]!, size, cache, run.decoder, model),
      );

      const checkLosses = async (upTo: number): Promise<number> => {
        const values = await gpu.read(losses.buffer, upTo * 4);
        for (let i = checked; i < upTo; i++) {
          if (!Number.isFinite(values[i]!)) {
            throw new TrainingDivergedError(
              `loss became ${values[i]} at epoch ${epoch}, step ${i + 1} of ${stepsPerEpoch} (global step ${step - (upTo - 1 - i)}); ` +
                'training stopped (try a lower learning rate)',
            );
          }
        }
        checked = upTo;
        return values.subarray(0, upTo).reduce((a, b) => a + b, 0) / upTo;
      };

      for (let b = 0; b < batches.length; b++) {
        const indices = batches[b]!;
        const input = await inputs.next();
        tidy(() => {
          const x = Tensor.fromData(gpu, input.x, [indices.length, model.input.channels, size.height, size.width], 'train:x');
          const labels = Tensor.fromData(gpu, input.labels, [indices.length], 'train:labels');
          // Masks keyed by the global step (which the checkpoint's Adam state keeps): --resume draws the same ones.
          setDropoutStep(model, step);
          const out = model.forward(x);
          const loss = softmaxCrossEntropy(out, labels);
          backward(loss);
          optimizer.step();
          optimizer.zeroGrad();
          gpu.copy(loss.buffer, 0, losses.buffer, b * 4, 4);
          gpu.copy(out.buffer, 0, logits.buffer, seen * k * 4, indices.length * k * 4);
        });
        seen += indices.length;
        step++;
        const now = performance.now();
        if (run.progress && (now - lastRead >= (run.logInterval ?? 2) * 1000 || b === batches.length - 1)) {
          lastRead = now;
          const mean = await checkLosses(b + 1);
          const elapsed = (performance.now() - started) / 1000;
          run.progress.update({
            epoch,
            epochs: config.epochs,
            step: b + 1,
            steps: batches.length,
            loss: mean,
            imagesPerSecond: seen / elapsed,
            etaSeconds: (elapsed / seen) * (n - seen + (config.epochs - epoch) * n),
          });
        }
      }

      const trainLoss = await checkLosses(batches.length);
      const seconds = (performance.now() - started) / 1000;
      const trainAccuracy = accuracyOf(await logits.read(), order, run.train, k);
      let test: EvalReport | null = null;
      let testLoss: number | null = null;
      let evalSeconds: number | null = null;
      if (run.test && run.test.items.length > 0) {
        const evalStarted = performance.now();
        const p = await predictItems(model, run.test.items, { batchSize: config.batchSize, cache, decoder: run.decoder });
        test = evaluate(run.test.items.map((i) => i.label), p.predicted, run.test.classNames);
        testLoss = meanCrossEntropy(p.logits, run.test.items.map((i) => i.label));
        evalSeconds = (performance.now() - evalStarted) / 1000;
      }
      const peakGpuBytes = gpu.poolStats().peakInUseBytes;
      const record: EpochRecord = {
        epoch, step, trainLoss, trainAccuracy, imagesPerSecond: n / seconds, seconds, peakGpuBytes, test, testLoss, evalSeconds,
      };
      records.push(record);
      run.progress?.log(
        `epoch ${epoch}/${config.epochs}: loss ${trainLoss.toFixed(4)}, train accuracy ${(100 * trainAccuracy).toFixed(1)}%` +
          (test ? `, test accuracy ${(100 * (test.accuracy ?? 0)).toFixed(1)}%` : '') +
          `, ${record.imagesPerSecond.toFixed(1)} images/s, peak GPU memory ${(peakGpuBytes / 2 ** 20).toFixed(1)} MiB`,
      );
      await run.onEpoch?.(record, { model, optimizer });
    }
  } finally {
    losses.dispose();
    logits.dispose();
  }
  return records;
}

/**
 * Throws a TrainingDivergedError naming the first tensors of `state` (a state dict read back after `epoch`) that
 * hold NaN or infinite values, so that they never reach a checkpoint.
 */
export function assertFiniteState(state: WeightMap, epoch: number, what: string): void {
  const bad: string[] = [];
  for (const [name, t] of state) {
    let count = 0;
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) count++;
    if (count > 0) bad.push(`${name} (${count} of ${t.data.length})`);
  }
  if (bad.length === 0) return;
  const shown = bad.slice(0, 3).join(', ') + (bad.length > 3 ? ` and ${bad.length - 3} more tensors` : '');
  throw new TrainingDivergedError(
    `the ${what} hold non-finite values after epoch ${epoch}: ${shown}; training stopped (try a lower learning rate)`,
  );
}

interface LoadedInput {
  x: Float32Array;
  labels: Float32Array;
}

async function loadInput(
  split: DatasetSplit,
  indices: Uint32Array,
  size: { height: number; width: number },
  cache: ImageCache,
  decoder: DecodePool | null | undefined,
  model: Classifier,
): Promise<LoadedInput> {
  const items = [...indices].map((i) => split.items[i]!);
  const gray = await loadBatch(items, size, cache, decoder);
  return { x: toModelInput(gray, items.length, model.input), labels: Float32Array.from(items, (item) => item.label) };
}

/** Fraction of the epoch's images whose logits (stored in visiting order) pick their label. */
function accuracyOf(flat: Float32Array, order: Uint32Array, split: DatasetSplit, k: number): number {
  let correct = 0;
  order.forEach((itemIndex, position) => {
    if (argmax(flat.subarray(position * k, (position + 1) * k)) === split.items[itemIndex]!.label) correct++;
  });
  return order.length === 0 ? 0 : correct / order.length;
}

function meanCrossEntropy(logits: Float32Array[], labels: number[]): number {
  let sum = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const logSum = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
    sum += logSum - row[labels[i]!]!;
  });
  return sum / Math.max(1, logits.length);
}
