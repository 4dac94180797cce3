/**
 * Training and evaluation with images decoded by worker threads end exactly where decoding on the main thread
 * does: same weights, same Adam moments, same test predictions, bit for bit. The cache holds only part of the
 * set, so later epochs decode again in the workers. (The workers run the compiled dist/ script: `npm test` builds.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodePool } from '../../src/data/decode_pool.js';
import { loadDataset, type LoadedDataset } from '../../src/data/dataset.js';
import { ImageCache } from '../../src/data/image_cache.js';
import { createRng } from '../../src/data/prng.js';
import { generateSynthetic } from '../../src/data/synth.js';
import { modelEntry } from '../../src/models/registry.js';
import { Adam } from '../../src/train/adam.js';
import { predictItems } from '../../src/train/run_model.js';
import { train } from '../../src/train/trainer.js';
import { testGpu } from '../helpers/gpu.js';

const WORKER = new URL('../../dist/data/decode_worker.js', import.meta.url);
const SIZE = 24;
let root: string;
let data: LoadedDataset;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cnnx-decode-workers-'));
  await generateSynthetic({ outDir: root, perClass: 6, size: 40, seed: 5 }); // resized on loading: float planes
  data = loadDataset(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function trainWith(decoder: DecodePool | null) {
  const gpu = await testGpu();
  const model = modelEntry('cnnx').build({ gpu, rng: createRng(11) }, { numClasses: 4, inputSize: SIZE });
  const optimizer = new Adam(model.namedParameters(), { lr: 1e-3 });
  const cache = new ImageCache(5 * SIZE * SIZE * 4); // 5 of the training images
  try {
    const records = await train({
      model, optimizer, train: data.train, test: data.test!, cache, decoder,
      config: { epochs: 2, batchSize: 4, lr: 1e-3, weightDecay: 0, seed: 3, shuffle: true },
    });
    const predicted = await predictItems(model, data.test!.items, { batchSize: 3, cache, decoder });
    return { records, model: await model.stateDict(), adam: await optimizer.stateDict(), logits: predicted.logits };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

describe('decode workers in training', () => {
  it('give the same run as the main thread, bit for bit', async () => {
    const pool = DecodePool.open(2, WORKER);
    expect(pool, `${WORKER.pathname} (npm run build)`).not.toBeNull();
    try {
      const onThread = await trainWith(null);
      const inWorkers = await trainWith(pool);
      const [n, tests] = [data.train.items.length, data.test!.items.length];
      expect(n).toBeGreaterThan(5 + 8);
      // What the cache misses: every training image, then all but the 5 it keeps; the test split 3 times.
      expect(pool!.decodes).toBe(n + (n - 5) + 3 * tests);
      const strip = (r: (typeof onThread.records)[number]) =>
        ({ ...r, seconds: 0, imagesPerSecond: 0, peakGpuBytes: 0, evalSeconds: 0 });
      expect(inWorkers.records.map(strip)).toEqual(onThread.records.map(strip));
      for (const r of [...onThread.records, ...inWorkers.records]) expect(r.evalSeconds).toBeGreaterThan(0);
      const states = [['model', inWorkers.model, onThread.model], ['Adam', inWorkers.adam, onThread.adam]] as const;
      for (const [what, got, want] of states) {
        expect([...got.keys()], what).toEqual([...want.keys()]);
        for (const [name, t] of want) expect(got.get(name)!.data, `${what} ${name}`).toEqual(t.data);
      }
      expect(inWorkers.logits).toEqual(onThread.logits);
    } finally {
      await pool?.close();
    }
  });
});
