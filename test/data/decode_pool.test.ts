// The decode pool runs the compiled worker (dist/data/decode_worker.js): `npm test` builds it first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBatch } from '../../src/data/batches.js';
import { DataError } from '../../src/data/data_error.js';
import { DecodePool } from '../../src/data/decode_pool.js';
import { ImageCache } from '../../src/data/image_cache.js';
import { compactPlane, loadImagePlane } from '../../src/data/image_plane.js';
import { ImageError } from '../../src/io/image.js';
import { encodeGrayPng, encodeRgbPng } from '../../src/io/png_write.js';

const WORKER = new URL('../../dist/data/decode_worker.js', import.meta.url);
let root: string;
let files: string[];

beforeAll(() => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER.pathname} missing: run npm run build (npm test does) first`);
  root = mkdtempSync(join(tmpdir(), 'cnnx-decode-pool-'));
  const gray = (name: string, width: number, height: number, offset: number) => {
    const data = Uint8Array.from({ length: width * height }, (_, i) => (i * 13 + offset) % 256);
    writeFileSync(join(root, name), encodeGrayPng({ width, height, data }));
    return join(root, name);
  };
  const rgb = join(root, 'rgb.png');
  const bytes = (length: number, step: number) => Uint8Array.from({ length }, (_, i) => (i * step) % 256);
  writeFileSync(rgb, encodeRgbPng({ width: 7, height: 5, data: bytes(105, 29) }));
  const jpg = join(root, 'c.jpg');
  writeFileSync(jpg, jpeg.encode({ width: 9, height: 6, data: bytes(216, 11) }, 90).data);
  files = [gray('a.png', 6, 6, 0), gray('b.png', 11, 3, 50), rgb, jpg, gray('d.png', 5, 5, 9)];
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('DecodePool', () => {
  it('gives what the main thread gives, bit for bit, for any mix of files, sizes and cached planes', async () => {
    const pool = DecodePool.open(2, WORKER)!;
    try {
      expect(pool.size).toBe(2);
      for (const [h, w] of [[6, 6], [4, 9], [13, 5]] as const) {
        const onThread = await Promise.all(files.map((f) => loadImagePlane(f, h, w)));
        const decoded = await pool.loadPlanes(files.map((file) => ({ file })), h, w, true);
        expect(decoded.pixels).toEqual(Float32Array.from(onThread.flatMap((p) => [...p])));
        // Kept as the cache would keep them, in shared memory: bytes where the values allow (a.png at 6x6).
        decoded.kept.forEach((kept, i) => {
          expect(kept!.buffer).toBeInstanceOf(SharedArrayBuffer);
          expect(kept).toEqual(compactPlane(onThread[i]!));
        });
        expect(decoded.kept.some((k) => k instanceof Uint8Array)).toBe(h === 6);
        // Jobs with kept planes are only expanded; nothing comes back to keep for them.
        const jobs = files.map((file, i) => ({ file, kept: i % 2 ? decoded.kept[i]! : undefined }));
        const mixed = await pool.loadPlanes(jobs, h, w, false);
        expect(mixed.pixels).toEqual(decoded.pixels);
        expect(mixed.kept).toEqual(files.map(() => null));
      }
      const once = files.map((file) => ({ file }));
      const [viaPool, onThread] = [new ImageCache(), new ImageCache()];
      for (const items of [once, [...once, once[0]!, ...once]]) {
        expect(await loadBatch(items, 6, viaPool, pool)).toEqual(await loadBatch(items, 6, onThread, null));
        expect([viaPool.size, viaPool.usedBytes]).toEqual([onThread.size, onThread.usedBytes]);
        expect(viaPool.size).toBe(files.length);
      }
      // Per size all 5 files, then the 3 without kept planes; the batches 5 once, then nothing (all cached).
      expect(pool.decodes).toBe(3 * (5 + 3) + 5);
    } finally {
      await pool.close();
    }
  });

  it('rejects with the error the main thread would throw, naming the first file in order that failed', async () => {
    const text = join(root, 'text.png');
    writeFileSync(text, 'not an image');
    const gone = join(root, 'gone.png');
    const pool = DecodePool.open(3, WORKER)!;
    try {
      const missing = pool.loadPlanes([{ file: files[0]! }, { file: gone }], 4, 4, false);
      await expect(missing).rejects.toThrow(DataError);
      await expect(missing).rejects.toThrow(/gone\.png: cannot read image \(ENOENT\)/);
      const bad = pool.loadPlanes([{ file: text }], 4, 4, false);
      await expect(bad).rejects.toThrow(ImageError);
      await expect(bad).rejects.toThrow(/text\.png: not a PNG or JPEG/);
      // Twelve jobs in three chunks of four: the failures sit in different chunks (workers) and within one.
      const twelve = (at: Record<number, string>) =>
        Array.from({ length: 12 }, (_, i) => ({ file: at[i] ?? files[i % 5]! }));
      await expect(loadBatch(twelve({ 6: gone, 9: text }), 4, undefined, pool)).rejects.toThrow(/gone\.png/);
      await expect(loadBatch(twelve({ 6: text, 9: gone }), 4, undefined, pool)).rejects.toThrow(/text\.png/);
      await expect(loadBatch(twelve({ 11: gone, 10: text }), 4, undefined, pool)).rejects.toThrow(/text\.png/);
      const after = await pool.loadPlanes([{ file: files[1]! }], 4, 4, false); // still working
      expect(after.pixels).toEqual(await loadImagePlane(files[1]!, 4, 4));
    } finally {
      await pool.close();
    }
  });

  it('rejects what a stopped worker held and starts a fresh one for the next load', async () => {
    const dying = join(root, 'dying.mjs');
    const exits = "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));";
    writeFileSync(dying, exits);
    const pool = DecodePool.open(1, pathToFileURL(dying))!;
    const load = () => pool.loadPlanes([{ file: files[0]! }], 4, 4, false);
    try {
      await expect(load()).rejects.toThrow(/worker thread stopped: exit code 3/);
      await expect(load()).rejects.toThrow(/exit code 3/);
    } finally {
      await pool.close();
    }
    await expect(load()).rejects.toThrow(/closed/);
  });

  it('lets the process exit once its work is done, without being closed', () => {
    const pool = new URL('../../dist/data/decode_pool.js', import.meta.url).href;
    const script = `const { DecodePool } = await import(${JSON.stringify(pool)});
      const loaded = await DecodePool.open(2).loadPlanes([{ file: ${JSON.stringify(files[0])} }], 3, 3, true);
      console.log(loaded.pixels.length);`;
    // --input-type: a flag workers inherit and must be spared (DecodePool's workerExecArgv).
    const args = ['--input-type=module', '-e', script];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
    expect([run.status, run.signal, run.stdout.trim(), run.stderr]).toEqual([0, null, '9', '']);
  });

  it('opens nothing for 0 workers or a missing script, and refuses a bad count', () => {
    expect(DecodePool.open(0, WORKER)).toBeNull();
    expect(DecodePool.open(2, new URL('file:///nonexistent/decode_worker.js'))).toBeNull();
    expect(() => DecodePool.open(-1, WORKER)).toThrow(/integer >= 0/);
    expect(() => DecodePool.open(1.5, WORKER)).toThrow(/integer >= 0/);
    expect(DecodePool.defaultWorkers()).toBeGreaterThanOrEqual(1);
    expect(DecodePool.defaultWorkers()).toBeLessThanOrEqual(8);
  });
});
