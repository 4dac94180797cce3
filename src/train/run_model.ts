/**
 * Runs a classifier over a list of images in eval mode (running statistics, no dropout, no graph) and collects
 * the logits on the GPU, reading them back once at the end.
 */
import { loadBatch } from '../data/batches.js';
import type { ImageCache } from '../data/image_cache.js';
import type { DecodePool } from '../data/decode_pool.js';
import { Prefetch } from '../data/prefetch.js';
import type { DatasetItem } from '../data/dataset.js';
import { tidy } from '../graph/scope.js';
import { noGrad } from '../graph/tape.js';
import { Tensor } from '../graph/tensor.js';
import type { Classifier } from '../models/classifier.js';
import { toModelInput } from './input.js';

export interface Predictions {
  logits: Float32Array[];
  probabilities: Float32Array[];
  predicted: number[];
}

export async function predictItems(
  model: Classifier,
  items: readonly { file: string }[],
  options: {
    batchSize: number;
    cache?: ImageCache;
    /** Worker threads that decode images (default: the process's shared pool; null: decode on this thread). */
    decoder?: DecodePool | null;
    onBatch?: (done: number, total: number) => void;
  },
): Promise<Predictions> {
  const k = model.numClasses;
  const gpu = model.parameters()[0]!.gpu;
  const wasTraining = model.training;
  model.eval();
  const all = Tensor.zeros(gpu, [Math.max(1, items.length), k], 'predict:logits');
  try {
    const size = { height: model.input.height, width: model.input.width };
    const batchAt = (start: number) => items.slice(start, start + options.batchSize);
    const grays = new Prefetch(
      Math.ceil(items.length / options.batchSize),
      (b) => loadBatch(batchAt(b * options.batchSize), size, options.cache, options.decoder),
    );
    for (let start = 0; start < items.length; start += options.batchSize) {
      const batch = batchAt(start);
      const input = toModelInput(await grays.next(), batch.length, model.input);
      noGrad(() =>
        tidy(() => {
          const x = Tensor.fromData(gpu, input, [batch.length, model.input.channels, size.height, size.width], 'predict:x');
          const logits = model.forward(x);
          gpu.copy(logits.buffer, 0, all.buffer, start * k * 4, batch.length * k * 4);
        }),
      );
      options.onBatch?.(Math.min(start + options.batchSize, items.length), items.length);
    }
    const flat = await all.read();
    return fromLogits(flat, items.length, k);
  } finally {
    all.dispose();
    model.train(wasTraining);
  }
}

export function fromLogits(flat: Float32Array, count: number, k: number): Predictions {
  const logits: Float32Array[] = [];
  const probabilities: Float32Array[] = [];
  const predicted: number[] = [];
  for (let i = 0; i < count; i++) {
    const row = flat.slice(i * k, (i + 1) * k);
    logits.push(row);
    probabilities.push(softmax(row));
    predicted.push(argmax(row));
  }
  return { logits, probabilities, predicted };
}

export function softmax(row: Float32Array): Float32Array {
  const max = Math.max(...row);
  const exp = row.map((v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp.map((v) => v / sum);
}

/** Index of the largest value; the first one on ties (as torch.argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

export type { DatasetItem };
