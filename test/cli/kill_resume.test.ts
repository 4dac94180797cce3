/**
 * `kill -9` during training loses nothing: the checkpoint on disk is always a whole one (temporary file, fsync,
 * rename), and `train --resume` finishes the run with bit for bit the weights of a run that was never interrupted.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/train/checkpoint.js';
import { expectSameTensors, runCli, startCli } from './cli.js';

let root: string;
let data: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cnnx-kill-'));
  data = join(root, 'data');
  const synth = await runCli(['data', 'synth', '--size', '32', '--per-class', '6', '--out', data]);
  expect(synth.code, synth.stderr).toBe(0);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const trainArgs = (out: string) => ['train', '--data', data, '--input-size', '32', '--epochs', '3', '--batch-size', '4', '--out', out, '--quiet'];

/** The run's epoch records, by default without their timings (which differ from run to run). */
function metrics(runDir: string, withTimings = false): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { seconds, imagesPerSecond, evalSeconds, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return withTimings ? { ...rest, seconds, imagesPerSecond, evalSeconds } : rest;
    });
}

describe('kill -9 during training, then --resume', () => {
  it('leaves a whole checkpoint and resumes to the same final weights, bit for bit', async () => {
    const a = join(root, 'a', 'model.safetensors');
    const straight = await runCli(trainArgs(a));
    expect(straight.code, straight.stderr).toBe(0);
    expect(metrics(join(root, 'a', 'model-run'))).toHaveLength(3);
    // Epochs 2 and 3 train for about this long each, plus their evaluation and checkpoint (epoch 1 also compiles).
    const epochSeconds = metrics(join(root, 'a', 'model-run'), true)[1]!.seconds as number;

    // Same run into b/, killed at a random moment after its first checkpoint appears: during the second or third
    // epoch, its evaluation, or a checkpoint write.
    const b = join(root, 'b', 'model.safetensors');
    const run = startCli(trainArgs(b));
    while (!existsSync(b)) {
      const finished = await Promise.race([run.done.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20))]);
      if (finished) throw new Error(`the run ended before its first checkpoint:\n${(await run.done).stderr}`);
    }
    const delay = Math.random() * 2 * epochSeconds * 1000;
    console.log(`kill -9 ${Math.round(delay)} ms after the first checkpoint appeared (epoch 2 trained for ${epochSeconds.toFixed(1)} s)`);
    await new Promise((r) => setTimeout(r, delay));
    run.child.kill('SIGKILL');
    const killed = await run.done;
    if (killed.signal !== 'SIGKILL') console.log(`the run finished (code ${killed.code}) before the kill landed`);

    const left = parseCheckpoint(new Uint8Array(readFileSync(b)), b);
    expect(left.meta?.epoch).toBeGreaterThanOrEqual(1);
    expect(left.meta?.epoch).toBeLessThanOrEqual(3);
    expect(left.model.size).toBeGreaterThan(0);
    const leftovers = readdirSync(join(root, 'b')).filter((name) => name.includes('.tmp-'));
    console.log(`after the kill: a whole checkpoint of epoch ${left.meta?.epoch}; temporary files: ${leftovers.join(', ') || 'none'}`);

    // Not --quiet, to see that it resumed rather than started over (which would end with the same weights too).
    const resumed = await runCli([...trainArgs(b).filter((arg) => arg !== '--quiet'), '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming ${b} after epoch ${left.meta!.epoch}`);
    expect(resumed.stderr).not.toContain('epoch 1/3:');
    for (const dir of ['b', 'b/model-run']) expect(readdirSync(join(root, dir)).filter((name) => name.includes('.tmp-'))).toEqual([]);

    const want = parseCheckpoint(new Uint8Array(readFileSync(a)), a);
    const got = parseCheckpoint(new Uint8Array(readFileSync(b)), b);
    expect(got.meta).toEqual(want.meta);
    expectSameTensors(got, want);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    expect(metrics(join(root, 'b', 'model-run'))).toEqual(metrics(join(root, 'a', 'model-run')));
  });
});
