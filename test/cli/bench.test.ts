/**
 * `cnnx bench --json` prints the report in the documented schema. A benchmark is not a test: this runs one tiny
 * case (relu's forward) in --quick mode and checks the shape of the output, never a time.
 */
import { expect, it } from 'vitest';
import { runCli } from './cli.js';

it('cnnx bench --quick --filter relu.forward --json prints the report schema', async () => {
  const result = await runCli(['bench', '--quick', '--filter', 'relu.forward', '--json']);
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as Record<string, any>;
  expect(report.device).toEqual(expect.objectContaining({ vendor: expect.any(String), description: expect.any(String) }));
  expect(report.roofs.fma_gflops).toBeGreaterThan(0);
  expect(report.roofs.copy_gbps).toBeGreaterThan(0);
  expect(report.results.length).toBeGreaterThan(0);
  for (const row of report.results) {
    expect(row.name).toMatch(/^relu\.forward\//);
    expect(typeof row.shape).toBe('string');
    for (const key of ['ms', 'gflops', 'gbps', 'roof_fraction']) expect(row[key], key).toBeGreaterThan(0);
    expect(row.check_error).toBeLessThanOrEqual(1);
    expect(typeof row.peer.name).toBe('string');
    // The peer (TensorFlow.js) is a development dependency: a number, or null with the reason.
    if (row.peer.ms === null) expect(typeof row.peer.reason).toBe('string');
    else expect(row.peer.ms).toBeGreaterThan(0);
  }
  expect(report.e2e).toEqual([]);
}, 300_000);
