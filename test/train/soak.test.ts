/**
 * A long run does not grow: 200 training steps of a narrow CNN-X (32 x 32, batch 4) through the trainer, with the per-epoch
 * evaluation and the checkpoint's state read-back, keep the GPU buffer pool and host memory flat after warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageCache } from '../../src/data/image_cache.js';
import { loadDataset } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/prng.js';
import { generateSynthetic } from '../../src/data/synth.js';
import { Cnnx, CNNX_PAPER } from '../../src/models/cnnx.js';
import { createNodePlatform } from '../../src/platform/node.js';
import type { PoolStats } from '../../src/runtime/buffer_pool.js';
import { Gpu } from '../../src/runtime/gpu.js';
import { Adam } from '../../src/train/adam.js';
import { encodeCheckpoint } from '../../src/train/checkpoint.js';
import { train } from '../../src/train/trainer.js';

// A full collection before each sample, so host numbers show what is still referenced, not when V8 last collected.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const STEPS_PER_EPOCH = 4; // 16 training images, batch 4
const EPOCHS = 50; // 200 steps
const WARM_UP_EPOCHS = 1;
// Two of the paper's four branches (one max-pooled, one average-pooled) at half width: every kind of layer and
// optimizer step of CNN-X at a tenth of the cost (the paper's 9 x 9 branches take 0.6 s a step on lavapipe).
const BRANCHES = [
  { kernel: 3, filters: 8, pool: 'max' as const },
  { kernel: 5, filters: 8, pool: 'avg' as const },
];

interface Sample {
  epoch: number;
  pool: PoolStats;
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

let root: string | undefined;
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a long training run', () => {
  it(`keeps GPU buffers and host memory flat over ${EPOCHS * STEPS_PER_EPOCH} steps`, async () => {
    root = mkdtempSync(join(tmpdir(), 'cnnx-soak-'));
    await generateSynthetic({ outDir: root, perClass: 5, size: 32, seed: 4 });
    const data = loadDataset(root);
    expect(data.train.items).toHaveLength(STEPS_PER_EPOCH * 4);

    const gpu = await Gpu.create(createNodePlatform());
    const model = new Cnnx({ gpu, rng: createRng(0) }, { ...CNNX_PAPER, inputSize: 32, numClasses: 4, branches: BRANCHES });
    const optimizer = new Adam(model.namedParameters(), { lr: 3e-4 });
    const samples: Sample[] = [];
    try {
      await train({
        model,
        optimizer,
        train: data.train,
        test: data.test!,
        config: { epochs: EPOCHS, batchSize: 4, lr: 3e-4, weightDecay: 0, seed: 0, shuffle: true },
        cache: new ImageCache(),
        // What the CLI does after each epoch, minus the file: read the whole state back and encode a checkpoint.
        onEpoch: async (record, state) => {
          encodeCheckpoint(await state.model.stateDict(), await state.optimizer.stateDict(), {
            model: 'cnnx',
            modelConfig: { ...model.config },
            classNames: data.train.classNames,
            epoch: record.epoch,
            step: record.step,
          });
          collect();
          const memory = process.memoryUsage();
          samples.push({ epoch: record.epoch, pool: gpu.poolStats(), rss: memory.rss, heapUsed: memory.heapUsed, arrayBuffers: memory.arrayBuffers });
        },
      });
    } finally {
      optimizer.dispose();
      model.dispose();
      await gpu.sync();
      gpu.destroy();
    }

    const MiB = 2 ** 20;
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    console.log(`RSS after each epoch (MiB): ${samples.map((x) => (x.rss / MiB).toFixed(0)).join(' ')}`);

    // The pool reaches its working set in the first epoch and its evaluation; after that nothing is created, and
    // nothing is left in use between epochs.
    const warm = samples[WARM_UP_EPOCHS - 1]!;
    for (const s of samples.slice(WARM_UP_EPOCHS - 1)) {
      expect(s.pool.buffers, `buffers after epoch ${s.epoch}`).toBe(warm.pool.buffers);
      expect(s.pool.bytes, `bytes after epoch ${s.epoch}`).toBe(warm.pool.bytes);
      expect(s.pool.inUse, `buffers in use after epoch ${s.epoch}`).toBe(warm.pool.inUse);
    }

    // Host memory, second half against first: medians of five epochs at the midpoint and at the end, so that one
    // allocator spike (up to 15 MiB of RSS seen on lavapipe) does not decide. After a full collection the run holds
    // the image cache (filled in epoch 1), the model and the epoch records. A leak of one batch input per step
    // (16 KiB) would add 1.6 MiB of array buffers over the 100 steps in between, one state read-back per epoch
    // (0.1 MiB) 2.5 MiB: the bounds sit below both. RSS also holds Dawn's and the driver's native memory, which the
    // allocator returns lazily: it wanders by about 10 MiB (a 3000-step loop showed no trend), so its bound only
    // catches a native leak of more than about a quarter MiB per step.
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const around = (end: number, key: 'rss' | 'heapUsed' | 'arrayBuffers') => median(samples.slice(end - 5, end).map((x) => x[key]));
    const mid = EPOCHS / 2;
    for (const [key, bound] of [['arrayBuffers', 1 * MiB], ['heapUsed', 2 * MiB], ['rss', 24 * MiB]] as const) {
      const growth = around(EPOCHS, key) - around(mid, key);
      console.log(`${key}: ${mib(around(mid, key))} after epoch ${mid}, ${mib(around(EPOCHS, key))} after epoch ${EPOCHS}`);
      expect(growth, `${key} grew by ${mib(growth)}`).toBeLessThan(bound);
    }
  });
});
