import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/dataset.js';
import { generateSynthetic, renderSyntheticImage, type SyntheticManifest } from '../../src/data/synth.js';
import { decodeImage } from '../../src/io/image.js';

const root = mkdtempSync(join(tmpdir(), 'cnnx-synth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under dir, relative, sorted. */
function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort();
}

function mean(values: ArrayLike<number>, keep: (i: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (keep(i)) {
      sum += values[i];
      n++;
    }
  }
  return sum / n;
}

describe('renderSyntheticImage', () => {
  it('is a function of its seed', () => {
    const a = renderSyntheticImage('viral', { size: 64, seed: 5 });
    expect(renderSyntheticImage('viral', { size: 64, seed: 5 })).toEqual(a);
    expect(renderSyntheticImage('viral', { size: 64, seed: 6 }).pixels).not.toEqual(a.pixels);
  });

  it('draws the class finding inside the lungs only, on the same anatomy', () => {
    const normal = renderSyntheticImage('normal', { size: 96, seed: 12 });
    for (const cls of ['bacterial', 'viral', 'covid'] as const) {
      const sick = renderSyntheticImage(cls, { size: 96, seed: 12 });
      expect(sick.mask).toEqual(normal.mask);
      // Findings add density: the lungs get brighter on average, the rest barely changes (film noise aside).
      const inLung = (i: number) => normal.mask[i] === 255;
      expect(mean(sick.pixels, inLung) - mean(normal.pixels, inLung), cls).toBeGreaterThan(1);
    }
  });

  it('looks like a radiograph: dark lungs inside a brighter body, a binary mask', () => {
    const { pixels, mask } = renderSyntheticImage('normal', { size: 128, seed: 3 });
    expect(new Set(mask)).toEqual(new Set([0, 255]));
    const lungShare = mask.filter((m) => m === 255).length / mask.length;
    expect(lungShare).toBeGreaterThan(0.15);
    expect(lungShare).toBeLessThan(0.5);
    const lungs = mean(pixels, (i) => mask[i] === 255);
    const centre = mean(pixels, (i) => mask[i] === 0 && Math.abs((i % 128) - 64) < 8 && Math.floor(i / 128) > 40);
    expect(centre - lungs).toBeGreaterThan(40);
  });

  it('burns a confounder without changing the anatomy or the mask', () => {
    const plain = renderSyntheticImage('covid', { size: 128, seed: 9 });
    for (const kind of ['marker', 'text', 'ecg'] as const) {
      const marked = renderSyntheticImage('covid', { size: 128, seed: 9, confounder: kind });
      expect(marked.mask).toEqual(plain.mask);
      const [x, y, w, h] = marked.confounderBox!;
      let changedOutside = 0;
      let changedInside = 0;
      for (let i = 0; i < plain.pixels.length; i++) {
        if (marked.pixels[i] === plain.pixels[i]) continue;
        const [px, py] = [i % 128, Math.floor(i / 128)];
        if (px >= x && px < x + w && py >= y && py < y + h) changedInside++;
        else changedOutside++;
      }
      expect(changedInside, kind).toBeGreaterThan(10);
      expect(changedOutside, kind).toBe(0);
    }
  });
});

describe('generateSynthetic', () => {
  let manifest: SyntheticManifest;
  const outDir = join(root, 'a');

  it('writes train/test class folders, masks and a manifest', async () => {
    manifest = await generateSynthetic({ outDir, perClass: 5, size: 48, seed: 1 });
    const files = listFiles(outDir);
    for (const cls of ['normal', 'bacterial', 'viral', 'covid']) {
      expect(files.filter((f) => f.startsWith(`train/${cls}/`))).toEqual(['0000', '0001', '0002', '0003'].map((n) => `train/${cls}/${n}.png`));
      expect(files.filter((f) => f.startsWith(`test/${cls}/`))).toEqual([`test/${cls}/0000.png`]);
    }
    expect(files.filter((f) => f.startsWith('masks/'))).toEqual(files.filter((f) => /^(train|test)\//.test(f)).map((f) => `masks/${f}`).sort());
    expect(files).toContain('manifest.json');
    expect(JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(manifest.options).toEqual({ perClass: 5, size: 48, seed: 1, trainFraction: 0.8, confounder: null });
    expect(manifest.counts.train.covid).toBe(4);
    const image = decodeImage(readFileSync(join(outDir, 'train/covid/0002.png')), 'x.png');
    expect(image).toMatchObject({ width: 48, height: 48 });
  });

  it('reads back with loadDataset', () => {
    const { train, test } = loadDataset(outDir, { scenario: 2 });
    expect(train.items.length).toBe(16);
    expect(test!.items.length).toBe(4);
    expect(train.items[0].file).toBe(join(outDir, 'train/normal/0000.png'));
  });

  it('writes byte-identical files for the same seed, different ones for another', async () => {
    await generateSynthetic({ outDir: join(root, 'b'), perClass: 5, size: 48, seed: 1 });
    await generateSynthetic({ outDir: join(root, 'c'), perClass: 5, size: 48, seed: 2 });
    const files = listFiles(outDir);
    expect(listFiles(join(root, 'b'))).toEqual(files);
    for (const f of files) expect(readFileSync(join(root, 'b', f)).equals(readFileSync(join(outDir, f))), f).toBe(true);
    expect(readFileSync(join(root, 'c', 'train/normal/0000.png')).equals(readFileSync(join(outDir, 'train/normal/0000.png')))).toBe(false);
  });

  it('puts a confounder on exactly round(r n) target and round((1 - r) n) other images per split and class', async () => {
    const rate = 0.75;
    const m = await generateSynthetic({
      outDir: join(root, 'd'),
      perClass: 10,
      size: 48,
      seed: 3,
      confounder: { kind: 'marker', rate, class: 'Pneumonia_Bacterial' },
    });
    expect(m.options.confounder).toEqual({ kind: 'marker', rate, class: 'bacterial' });
    for (const split of ['train', 'test'] as const) {
      for (const cls of m.classes) {
        const images = m.images.filter((im) => im.split === split && im.class === cls);
        const share = cls === 'bacterial' ? rate : 1 - rate;
        const marked = images.filter((im) => im.confounder);
        expect(marked.length, `${split}/${cls}`).toBe(Math.round(share * images.length));
        for (const im of marked) expect(im.confounder!.kind).toBe('marker');
      }
    }
  });

  it('refuses a non-empty output folder and bad options', async () => {
    writeFileSync(join(root, 'e.txt'), '');
    await expect(generateSynthetic({ outDir: root, perClass: 1 })).rejects.toThrow(/not empty/);
    await expect(generateSynthetic({ outDir: join(root, 'f'), perClass: 0 })).rejects.toThrow(RangeError);
    await expect(generateSynthetic({ outDir: join(root, 'f'), perClass: 2, confounder: { kind: 'marker', rate: 2 } })).rejects.toThrow(RangeError);
    await expect(generateSynthetic({ outDir: join(root, 'f'), perClass: 2, confounder: { kind: 'marker', rate: 1, class: 'flu' } })).rejects.toThrow(
      /not one of/,
    );
  });
});
