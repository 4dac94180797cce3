/**
 * The paper's warning, measured: a CNN-X trained where a burned-in "R"/"L" marker gives the class away looks at
 * the marker instead of the lungs. Two small synthetic sets share their anatomy (same seed): one with the marker
 * on every COVID-19 image and no other, one clean. CNN-X is trained briefly on each (seeds fixed) and the
 * inside-lung fraction of its CAM is compared on the COVID-19 test images, each model on its own set, image by
 * image (the two sets' image k differ only by the marker). CNN-X's exact CAM has a speckled floor that min-max
 * normalisation keeps, so the clean model sits near the lungs' share of the image (about 0.29) and the marker
 * model a few points below it, on nearly every image (see docs/cam.md for the full-size experiment).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/prng.js';
import { generateSynthetic, type ConfounderOptions } from '../../src/data/synth.js';
import { Cnnx, CNNX_PAPER } from '../../src/models/cnnx.js';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';
import { Adam } from '../../src/train/adam.js';
import { meanOf } from '../../src/train/cam/energy.js';
import { camImages } from '../../src/train/cam/run.js';
import { train } from '../../src/train/trainer.js';

const SIZE = 64;
const PER_CLASS = 100;
const EPOCHS = 10;
const LR = 1e-3;

const root = mkdtempSync(join(tmpdir(), 'cnnx-cam-shortcut-'));
let gpu: Gpu | null = null;
afterAll(async () => {
  await gpu?.sync(); // see Gpu.destroy: destroying a device with work queued can crash Dawn at exit
  gpu?.destroy();
  rmSync(root, { recursive: true, force: true });
});

interface Measured {
  /** Inside-lung fraction per COVID-19 test image, by its path below the set's folder. */
  fractions: Map<string, number | null>;
  accuracy: number;
}

async function trainAndMeasure(name: string, confounder?: ConfounderOptions): Promise<Measured> {
  gpu ??= await Gpu.create(createNodePlatform());
  const dir = join(root, name);
  await generateSynthetic({ outDir: dir, perClass: PER_CLASS, size: SIZE, seed: 5, ...(confounder ? { confounder } : {}) });
  const data = loadDataset(dir, { scenario: 1 });
  const model = new Cnnx({ gpu, rng: createRng(1) }, { ...CNNX_PAPER, inputSize: SIZE, numClasses: 2 });
  const optimizer = new Adam(model.namedParameters(), { lr: LR, weightDecay: 0 });
  try {
    const config = { epochs: EPOCHS, batchSize: 15, lr: LR, weightDecay: 0, seed: 2, shuffle: true };
    const records = await train({ model, optimizer, train: data.train, test: data.test!, config });
    const covid = data.test!.classNames.indexOf('covid');
    const items = data.test!.items
      .filter((item) => item.label === covid)
      .map((item) => ({ file: item.file, mask: join(dir, 'masks', relative(dir, item.file)) }));
    const fractions = new Map<string, number | null>();
    for await (const r of camImages(model, items, { method: 'cam', batchSize: 16, overlay: false })) {
      fractions.set(relative(dir, r.input.file), r.lungFraction);
    }
    return { fractions, accuracy: records[records.length - 1]!.test!.accuracy! };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

describe('CAM exposes a shortcut', () => {
  it('a marker-trained CNN-X puts clearly less of its CAM inside the lungs than a clean-trained one', async () => {
    const marked = await trainAndMeasure('marked', { kind: 'marker', rate: 1, class: 'covid' });
    const clean = await trainAndMeasure('clean');
    const files = [...marked.fractions.keys()];
    expect(files.length).toBe(20);
    const pairs = files.map((f) => [marked.fractions.get(f)!, clean.fractions.get(f)!] as const);
    const meanMarked = meanOf(pairs.map((p) => p[0]))!;
    const meanClean = meanOf(pairs.map((p) => p[1]))!;
    const lower = pairs.filter(([m, c]) => m < c).length;
    console.log(
      `inside-lung fraction of CAM on the COVID-19 test images: marker-trained ${meanMarked.toFixed(3)} (test accuracy ` +
        `${marked.accuracy.toFixed(2)}), clean-trained ${meanClean.toFixed(3)} (${clean.accuracy.toFixed(2)}); ` +
        `lower on ${lower} of ${pairs.length} images`,
    );
    expect(marked.accuracy).toBeGreaterThan(0.9); // the marker is a perfect shortcut and it was learned
    expect(meanMarked).toBeLessThan(meanClean - 0.015);
    expect(lower).toBeGreaterThanOrEqual(16);
  }, 600_000);
});
