/**
 * `cnnx bench --memory` at a small size: a model that cannot run at this input (AlexNet's pools do not fit 32x32) is
 * reported and the next ones are measured, and the numbers hold together (what must be live at a step's peak, Adam's
 * two moments per parameter, inference below training, nothing left in use after a step). Never a time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { MemoryReport } from '../../src/bench/memory.js';
import { runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnx-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('cnnx bench --memory measures each model, reports a failing one and goes on', async () => {
  const file = join(dir, 'MEMORY.md');
  const batch = 2;
  const result = await runCli(['bench', '--memory', '--models', 'alexnet,cnnx,resnet18', '--input-size', '32', '--batch', String(batch),
    '--json', '--write-results', file]);
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as MemoryReport;
  expect(report.batch).toBe(batch);
  expect(report.rows.map((r) => r.model)).toEqual(['alexnet', 'cnnx', 'resnet18']);

  const alexnet = report.rows[0]!;
  expect(alexnet.inference.map((m) => m.error)).toEqual([expect.stringContaining('maxpool2d'), expect.stringContaining('maxpool2d')]);
  expect(alexnet.training?.error).toContain('maxpool2d');

  for (const row of report.rows.slice(1)) {
    const name = row.model;
    expect(row.error, name).toBeUndefined();
    const [channels, height, width] = row.input;
    expect([height, width], name).toEqual([32, 32]);
    const inputBytes = (b: number): number => b * channels! * height! * width! * 4;
    expect(row.parameter_bytes, name).toBe(row.parameters * 4);
    expect(row.model_bytes, name).toBeGreaterThanOrEqual(row.parameter_bytes);

    expect(row.inference.map((m) => m.batch), name).toEqual([1, batch]);
    for (const m of row.inference) {
      expect(m.error, name).toBeUndefined();
      expect(m.peak_bytes!, name).toBeGreaterThanOrEqual(row.model_bytes + inputBytes(m.batch));
    }
    expect(row.inference[1]!.peak_bytes!, name).toBeGreaterThan(row.inference[0]!.peak_bytes!);

    const t = row.training!;
    expect(t.error, name).toBeUndefined();
    expect(Number.isFinite(t.loss), name).toBe(true);
    // Adam keeps two moments per parameter, a gradient is as large as its parameter, and at the Adam step the
    // parameters, all gradients and the moments are live together.
    expect(t.adam_bytes!, name).toBeGreaterThanOrEqual(2 * row.parameter_bytes);
    expect(t.gradient_bytes!, name).toBeGreaterThanOrEqual(row.parameter_bytes);
    expect(t.peak_bytes!, name).toBeGreaterThanOrEqual(3 * row.parameter_bytes);
    expect(t.peak_bytes!, name).toBeGreaterThanOrEqual(row.model_bytes + t.gradient_bytes! + t.adam_bytes!);
    expect(t.activation_bytes!, name).toBeGreaterThan(inputBytes(batch));
    expect(t.peak_bytes!, name).toBeGreaterThanOrEqual(row.model_bytes + t.activation_bytes!);
    expect(t.held_after_backward_bytes!, name).toBeGreaterThanOrEqual(0);
    expect(t.held_after_backward_bytes!, name).toBeLessThanOrEqual(t.activation_bytes!);
    expect(t.leaked_bytes, name).toBe(0);
    expect(t.reserved_bytes!, name).toBeGreaterThanOrEqual(t.peak_bytes!);
    expect(row.inference[1]!.peak_bytes!, name).toBeLessThan(t.peak_bytes!);
  }

  const markdown = readFileSync(file, 'utf8');
  expect(markdown).toContain(report.device.description || report.device.device);
  for (const name of ['cnnx', 'resnet18']) expect(markdown).toMatch(new RegExp(`^\\| ${name} \\| 32x32x`, 'm'));
  expect(markdown).toMatch(/^- alexnet, training step at batch 2: maxpool2d/m);
}, 600_000);
