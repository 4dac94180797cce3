import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchIndices, epochOrder, loadBatch } from '../../src/data/batches.js';
import { ImageCache } from '../../src/data/image_cache.js';
import { DataError } from '../../src/data/data_error.js';
import { resizeBilinear } from '../../src/data/resize.js';
import { encodeGrayPng, encodeRgbPng } from '../../src/io/png_write.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cnnx-batches-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Writes a width x height gray PNG whose pixel i is (i * step + offset) % 256; returns its path and pixels. */
function grayFile(name: string, width: number, height: number, offset: number, step = 7) {
  const data = Uint8Array.from({ length: width * height }, (_, i) => (i * step + offset) % 256);
  const file = join(root, name);
  writeFileSync(file, encodeGrayPng({ width, height, data }));
  return { file, data, width, height };
}

describe('loadBatch', () => {
  it('stacks decoded, resized, x/255-scaled images as NCHW [N, 1, H, W]', async () => {
    const a = grayFile('a.png', 6, 4, 0);
    const b = grayFile('b.png', 3, 5, 100);
    const batch = await loadBatch([{ file: a.file }, { file: b.file }], { height: 4, width: 6 });
    expect(batch.length).toBe(2 * 4 * 6);
    expect(Array.from(batch.subarray(0, 24))).toEqual(Array.from(a.data, (v) => Math.fround(v / 255)));
    const resized = resizeBilinear({ width: 3, height: 5, data: Float32Array.from(b.data) }, 4, 6).data;
    Array.from(resized).forEach((v, i) => expect(batch[24 + i]).toBeCloseTo(v / 255, 6));
  });

  it('converts colour files to gray and accepts a square size as a number', async () => {
    const rgb = join(root, 'c.png');
    writeFileSync(rgb, encodeRgbPng({ width: 2, height: 2, data: new Uint8Array(12).fill(51) }));
    const jpg = join(root, 'd.jpg');
    writeFileSync(jpg, jpeg.encode({ width: 2, height: 2, data: new Uint8Array(16).fill(204) }, 100).data);
    const batch = await loadBatch([{ file: rgb }, { file: jpg }], 2);
    batch.subarray(0, 4).forEach((v) => expect(v).toBeCloseTo(0.2, 5));
    batch.subarray(4).forEach((v) => expect(Math.abs(v - 0.8)).toBeLessThan(0.02));
  });

  it('serves cached images without reading the file again, keyed by size', async () => {
    const a = grayFile('a.png', 8, 8, 3);
    const cache = new ImageCache();
    const first = await loadBatch([a], 4, cache);
    expect(cache.size).toBe(1);
    expect(cache.usedBytes).toBe(4 * 4 * 4);
    unlinkSync(a.file);
    expect(await loadBatch([a, a], 4, cache)).toEqual(Float32Array.from([...first, ...first]));
    await expect(loadBatch([a], 5, cache)).rejects.toThrow(DataError);
  });

  it('stops caching when the byte budget is spent', async () => {
    // Halved, each output pixel is the mean of 4 whose sum is 2 mod 4: floats, not bytes (image_cache.test.ts).
    const files = [grayFile('a.png', 8, 8, 0), grayFile('b.png', 8, 8, 1), grayFile('c.png', 8, 8, 2)];
    const cache = new ImageCache(2 * 4 * 4 * 4); // room for two 4x4 float images
    await loadBatch(files, 4, cache);
    expect(cache.size).toBe(2);
    expect(cache.usedBytes).toBe(128);
    expect(cache.get(files[2].file, 4, 4)).toBeUndefined();
  });

  it('names the file it cannot read or decode', async () => {
    await expect(loadBatch([{ file: join(root, 'gone.png') }], 4)).rejects.toThrow(/gone\.png: cannot read image \(ENOENT\)/);
    writeFileSync(join(root, 'text.png'), 'not an image');
    await expect(loadBatch([{ file: join(root, 'text.png') }], 4)).rejects.toThrow(/text\.png: not a PNG or JPEG/);
  });
});

describe('epochOrder and batchIndices', () => {
  it('gives a permutation that depends only on seed and epoch', () => {
    const order = epochOrder(100, 7, 0);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(epochOrder(100, 7, 0)).toEqual(order);
    expect(epochOrder(100, 7, 1)).not.toEqual(order);
    expect(epochOrder(100, 8, 0)).not.toEqual(order);
    expect(epochOrder(0, 7, 0).length).toBe(0);
  });

  it('slices an order into batches, keeping or dropping the short last one', () => {
    const order = Uint32Array.from([4, 2, 0, 1, 3]);
    expect(batchIndices(order, 2).map((b) => Array.from(b))).toEqual([[4, 2], [0, 1], [3]]);
    expect(batchIndices(order, 2, true).map((b) => Array.from(b))).toEqual([[4, 2], [0, 1]]);
    expect(() => batchIndices(order, 0)).toThrow(RangeError);
  });
});
