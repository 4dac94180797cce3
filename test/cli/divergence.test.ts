/**
 * A run whose loss or weights stop being finite stops with a message naming where, and never writes them: with a
 * learning rate absurd from the first step there is no checkpoint at all; with one that survives the first epoch
 * the checkpoint of the last good epoch stays exactly as it was written.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../src/data/synth.js';
import { parseCheckpoint } from '../../src/train/checkpoint.js';
import { assertFiniteState, TrainingDivergedError } from '../../src/train/trainer.js';
import { expectRefused, expectSameTensors, runCli, snapshot } from './cli.js';

let root: string;
let data: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cnnx-diverge-'));
  data = join(root, 'data');
  await generateSynthetic({ outDir: data, perClass: 6, size: 32, seed: 0 });
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const train = (out: string, lr: string, ...more: string[]) =>
  runCli(['train', '--data', data, '--input-size', '32', '--batch-size', '4', '--lr', lr, '--out', out, '--quiet', ...more]);

describe.concurrent('a diverging run', () => {
  it('stops at the step whose loss is not finite, and says that no checkpoint was written', async () => {
    // Adam moves each weight by about lr per step: at 1e38 the head overflows float32 on the second step.
    const out = join(root, 'loss', 'model.safetensors');
    const result = await train(out, '1e38', '--epochs', '2');
    expectRefused(result, 1, [/loss became (NaN|-?Infinity) at epoch 1, step \d+ of 5 \(global step \d+\)/, 'no checkpoint was written']);
    expect(existsSync(join(root, 'loss'))).toBe(false);
  });

  it('with --lr 1e30 from the start, stops in epoch 1 and writes nothing', async () => {
    // The conv weights turn NaN within a few steps. Where ReLU maps NaN to 0 (max() on lavapipe), the loss stays
    // finite and the state check before the checkpoint stops the run; where NaN propagates, the loss check does.
    const out = join(root, 'weights', 'model.safetensors');
    const result = await train(out, '1e30', '--epochs', '2');
    expectRefused(result, 1, [
      /the model weights hold non-finite values after epoch 1: branches\.\d\.\S+ \(\d+ of \d+\)|loss became (NaN|-?Infinity) at epoch 1, step \d+/,
      'no checkpoint was written',
    ]);
    expect(existsSync(join(root, 'weights'))).toBe(false);
  });

  it('keeps the checkpoint of the last good epoch as it was', async () => {
    // At 5.5e15 this data set survives epoch 1 and breaks down in a later one (epoch 2 when this was written; 4e15
    // broke down in epoch 3, 8e15 in epoch 1).
    const dir = join(root, 'later');
    const out = join(dir, 'model.safetensors');
    const first = await train(out, '5.5e15', '--epochs', '1');
    expect(first.code, `lr 5.5e15 diverges within epoch 1 now; pick a smaller one\n${first.stderr}`).toBe(0);
    mkdirSync(join(root, 'later-copy'));
    copyFileSync(out, join(root, 'later-copy', 'model.safetensors'));
    const before = snapshot(dir);

    const result = await train(out, '5.5e15', '--epochs', '6', '--resume');
    expect(result.code, `lr 5.5e15 no longer diverges within 6 epochs; pick a larger one\n${result.stderr}`).toBe(1);
    const stopped = /non-finite values after epoch (\d+)|at epoch (\d+), step/.exec(result.stderr);
    expect(stopped, result.stderr).not.toBeNull();
    const badEpoch = Number(stopped![1] ?? stopped![2]);
    expectRefused(result, 1, [`the checkpoint ${out} (after epoch ${badEpoch - 1}) was left as it was`]);

    const kept = parseCheckpoint(new Uint8Array(readFileSync(out)), out);
    expect(kept.meta?.epoch).toBe(badEpoch - 1);
    for (const [name, t] of [...kept.model, ...kept.optimizer]) expect(t.data.every(Number.isFinite), name).toBe(true);
    const lines = readFileSync(join(dir, 'model-run', 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect((JSON.parse(lines[lines.length - 1]!) as { epoch: number }).epoch).toBe(badEpoch - 1);
    if (badEpoch === 2) {
      expect(snapshot(dir)).toEqual(before);
    } else {
      // The checkpoint must be the one the same run writes after epoch badEpoch - 1.
      const reference = join(root, 'later-copy', 'model.safetensors');
      const again = await train(reference, '5.5e15', '--epochs', String(badEpoch - 1), '--resume');
      expect(again.code, again.stderr).toBe(0);
      expectSameTensors(kept, parseCheckpoint(new Uint8Array(readFileSync(reference)), reference));
    }
  });
});

describe('assertFiniteState', () => {
  it('names each tensor holding NaN or Infinity, with how many of its values', () => {
    const state = new Map([
      ['fc.weight', { shape: [2, 2], data: Float32Array.of(1, Number.NaN, 2, Number.POSITIVE_INFINITY) }],
      ['fc.bias', { shape: [2], data: Float32Array.of(0, 1) }],
      ['bn.running_var', { shape: [1], data: Float32Array.of(Number.NEGATIVE_INFINITY) }],
    ]);
    expect(() => assertFiniteState(state, 7, 'model weights')).toThrow(TrainingDivergedError);
    expect(() => assertFiniteState(state, 7, 'model weights')).toThrow(
      'the model weights hold non-finite values after epoch 7: fc.weight (2 of 4), bn.running_var (1 of 1)',
    );
    state.delete('fc.weight');
    state.delete('bn.running_var');
    expect(() => assertFiniteState(state, 7, 'model weights')).not.toThrow();
  });
});
