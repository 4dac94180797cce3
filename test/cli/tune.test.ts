/**
 * `cnnx tune` measures CNN-X's convolution passes and its fc layer's products at a small size, writes the adapter's
 * choices file, and later commands find it; damaged or foreign files are reported by name. Timings are not asserted,
 * only that every recorded winner is one of the variants timed for its shape.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRefused, runCli } from './cli.js';

const cache = mkdtempSync(join(tmpdir(), 'cnnx-tune-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
const env = { CNNX_CACHE_DIR: cache, CNNX_KERNEL_CHOICES: 'auto' };

describe('cnnx tune', () => {
  it("times CNN-X's passes, keeps the fastest per shape in the adapter's file, and later commands use it", async () => {
    const tuned = await runCli(['tune', '--model', 'cnnx', '--input-size', '40', '--batch', '2', '--json'], { env });
    expect(tuned.code, tuned.stderr).toBe(0);
    const { path, rows } = JSON.parse(tuned.stdout) as { path: string; rows: { key: string; pass: string; winner: string; heuristic: string; ms: Record<string, number> }[] };
    expect(path.startsWith(join(cache, 'kernel-choices'))).toBe(true);
    // CNN-X's three kernel sizes, forward and weight gradient (the input needs no gradient); the fc layer's forward,
    // input gradient and weight gradient, one product each.
    expect(rows.map((r) => r.pass).sort()).toEqual([
      'backwardWeight', 'backwardWeight', 'backwardWeight', 'forward', 'forward', 'forward', 'matmul', 'matmul', 'matmul',
    ]);
    expect(rows.filter((r) => r.pass === 'matmul').map((r) => r.key).sort()).toEqual([
      'matmul.nn [2, 4] x [4, 10816]', 'matmul.nt [2, 10816] x [10816, 4]', 'matmul.tn [4, 2] x [2, 10816]',
    ]);
    for (const r of rows) {
      expect(Object.keys(r.ms), r.key).toContain(r.winner);
      expect(Object.keys(r.ms), r.key).toContain(r.heuristic);
      for (const ms of Object.values(r.ms)) expect(ms, r.key).toBeGreaterThan(0);
    }
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file.format).toBe('cnnx-kernel-choices');
    expect(file.choices).toEqual(Object.fromEntries(rows.map((r) => [r.key, r.winner])));

    const info = await runCli(['info'], { env });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('tuned kernels: 9 shapes');
    const off = await runCli(['info'], { env: { ...env, CNNX_KERNEL_CHOICES: 'off' } });
    expect(off.stdout).toContain('tuned kernels: none');
  }, 300_000);

  it('warns about a damaged default file and runs without it; refuses a damaged or foreign file named explicitly', async () => {
    const dir = join(cache, 'kernel-choices');
    const [name] = readdirSync(dir);
    const path = join(dir, name!);
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, '{"format": "cnnx-kernel-choices", "version": 1, ');
    const warned = await runCli(['info'], { env });
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain(`warning: ignoring the tuned kernel choices: ${path}: not JSON`);
    expect(warned.stdout).toContain('tuned kernels: none');

    const explicit = await runCli(['info'], { env: { ...env, CNNX_KERNEL_CHOICES: path } });
    expectRefused(explicit, 1, [path, 'not JSON']);

    const foreign = join(cache, 'foreign.json');
    const json = JSON.parse(good);
    writeFileSync(foreign, JSON.stringify({ ...json, adapter: { ...json.adapter, description: 'Some Other GPU' } }));
    const refused = await runCli(['info'], { env: { ...env, CNNX_KERNEL_CHOICES: foreign } });
    expectRefused(refused, 1, ['"Some Other GPU"', 'do not apply to this adapter']);

    // tune over the damaged default file starts it afresh; over a damaged file named with --output it stops first.
    const tiny = ['tune', '--model', 'cnnx', '--input-size', '24', '--batch', '1'];
    const damagedOutput = join(cache, 'damaged.json');
    writeFileSync(damagedOutput, 'not json');
    expectRefused(await runCli([...tiny, '--output', damagedOutput], { env }), 1, [damagedOutput, 'not JSON']);
    expect(readFileSync(damagedOutput, 'utf8')).toBe('not json');
    const afresh = await runCli([...tiny, '--num-classes', '3'], { env });
    expect(afresh.code, afresh.stderr).toBe(0);
    expect(afresh.stderr).toContain(`warning: starting ${path} afresh`);
    const keys = Object.keys(JSON.parse(readFileSync(path, 'utf8')).choices);
    expect(keys).toHaveLength(9);
    // The head as training builds it: 3 classes (input 24: 64 channels of 8 x 8 pooled maps into the fc).
    expect(keys).toContain('matmul.nt [1, 4096] x [4096, 3]');
    writeFileSync(path, good);
  }, 180_000);
});
