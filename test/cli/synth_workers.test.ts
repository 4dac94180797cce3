/**
 * `cnnx data synth` draws its images in worker threads (the compiled dist/ script) and writes the same bytes as on the
 * main thread, manifest included: each image comes from its own seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshot } from './cli.js';

const root = mkdtempSync(join(tmpdir(), 'cnnx-synth-workers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('cnnx data synth --workers', () => {
  it('writes the same files with 3 workers as on the main thread', async () => {
    const synth = (workers: number) => {
      const out = join(root, `w${workers}`);
      const args = ['data', 'synth', '--out', out, '--per-class', '7', '--size', '40', '--seed', '9'];
      return runCli([...args, '--confounder', 'text', '--confounder-rate', '0.7', '--workers', String(workers)]);
    };
    const [main, threads] = [await synth(0), await synth(3)];
    for (const result of [main, threads]) expect([result.code, result.stderr]).toEqual([0, '']);
    const files = snapshot(join(root, 'w0'));
    expect([...files.keys()].filter((f) => f.endsWith('.png')).length).toBe(2 * 4 * 7); // images and masks
    expect(snapshot(join(root, 'w3'))).toEqual(files);
  });
});
