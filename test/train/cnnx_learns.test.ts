/**
 * CNN-X learns the task from scratch: built as the CLI builds it (registry entry, Glorot init from the seed),
 * trained by the CLI's trainer with the CLI's defaults (Adam lr 3e-4, batch 15, no weight decay, reshuffled each
 * epoch) on a small clean synthetic set (no confounder, so nothing but the findings tells the four classes
 * apart), and scored on the test split, whose images are rendered from their own seeds and never trained on.
 *
 * Measured on llvmpipe (2 shared cores, 2026-11-25) at 48 x 48, 200 images per class (640 train, 160 test),
 * 12 epochs: final test accuracy 0.719, 0.731, 0.706, 0.838, 0.762, 0.713, 0.744 over seven data/training seed
 * pairs, and never under 0.656 in epochs 11 and 12. Training took 48-79 s of CPU (134 s wall at load average 15).
 * The bar of 0.6 (chance is 0.25, give or take 0.034 over 160 images) leaves room for kernels that round
 * differently and so take another path through training: a kernel change elsewhere moved these seeds' final
 * accuracy from 0.731 to 0.738.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset, type DatasetSplit } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/prng.js';
import { generateSynthetic } from '../../src/data/synth.js';
import { modelEntry } from '../../src/models/registry.js';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';
import { Adam } from '../../src/train/adam.js';
import { train, type TrainConfig } from '../../src/train/trainer.js';

const SIZE = 48;
const PER_CLASS = 200;
const DATA_SEED = 1;
const CONFIG: TrainConfig = { epochs: 12, batchSize: 15, lr: 3e-4, weightDecay: 0, seed: 3, shuffle: true };
const MIN_TEST_ACCURACY = 0.6;

const root = mkdtempSync(join(tmpdir(), 'cnnx-learns-'));
let gpu: Gpu | null = null;
afterAll(async () => {
  await gpu?.sync(); // see Gpu.destroy: destroying a device with work queued can crash Dawn at exit
  gpu?.destroy();
  rmSync(root, { recursive: true, force: true });
});

function contentHashes(split: DatasetSplit): Set<string> {
  return new Set(split.items.map((item) => createHash('sha256').update(readFileSync(item.file)).digest('hex')));
}

describe('CNN-X from scratch', () => {
  it('reaches well above chance on held-out synthetic images of the four classes', async () => {
    gpu = await Gpu.create(createNodePlatform());
    await generateSynthetic({ outDir: root, perClass: PER_CLASS, size: SIZE, seed: DATA_SEED });
    const data = loadDataset(root, { scenario: 2 });
    const test = data.test!;
    expect(data.train.items.length).toBe(640);
    expect(test.items.length).toBe(160);
    const trainHashes = contentHashes(data.train);
    expect([...contentHashes(test)].filter((h) => trainHashes.has(h))).toEqual([]);

    const model = modelEntry('cnnx').build({ gpu, rng: createRng(CONFIG.seed) }, { numClasses: 4, inputSize: SIZE });
    const optimizer = new Adam(model.namedParameters(), { lr: CONFIG.lr, weightDecay: CONFIG.weightDecay });
    try {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const records = await train({ model, optimizer, train: data.train, test, config: CONFIG });
      const used = process.cpuUsage(cpu);
      const accuracies = records.map((r) => r.test!.accuracy!);
      console.log(
        `CNN-X ${SIZE}x${SIZE}, ${data.train.items.length} training images: test accuracy by epoch ` +
          `${accuracies.map((a) => a.toFixed(3)).join(' ')}; training ${((performance.now() - started) / 1000).toFixed(0)} s wall, ` +
          `${((used.user + used.system) / 1e6).toFixed(0)} s CPU`,
      );
      expect(records).toHaveLength(CONFIG.epochs);
      expect(records[records.length - 1]!.trainLoss).toBeLessThan(records[0]!.trainLoss);
      expect(accuracies[accuracies.length - 1]).toBeGreaterThanOrEqual(MIN_TEST_ACCURACY);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }, 600_000);
});
