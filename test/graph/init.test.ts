import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { convFans, fans, glorotUniform, kaimingUniform, layerInit, linearFans } from '../../src/graph/init.js';

function stats(values: Float32Array): { min: number; max: number; mean: number; variance: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { min, max, mean, variance: sq / values.length };
}

/** A uniform sample in [-bound, bound): inside the bounds, reaching near both, mean ~0 and variance ~bound^2/3. */
function expectUniform(values: Float32Array, bound: number): void {
  const s = stats(values);
  const n = values.length;
  expect(s.min).toBeGreaterThanOrEqual(-bound);
  expect(s.max).toBeLessThanOrEqual(bound);
  expect(s.min).toBeLessThan(-0.99 * bound);
  expect(s.max).toBeGreaterThan(0.99 * bound);
  // Standard errors: mean bound/sqrt(3n); variance about 0.9 * bound^2/3 / sqrt(n). Five of them is never hit by chance.
  expect(Math.abs(s.mean)).toBeLessThan((5 * bound) / Math.sqrt(3 * n));
  expect(Math.abs(s.variance - bound ** 2 / 3)).toBeLessThan((5 * 0.9 * bound ** 2) / 3 / Math.sqrt(n));
}

describe('init', () => {
  it('computes fans as PyTorch does', () => {
    expect(fans([16, 1, 9, 9])).toEqual({ fanIn: 81, fanOut: 1296 });
    expect(fans([10, 4])).toEqual({ fanIn: 4, fanOut: 10 });
    // Grouped conv: weight [out, in/groups, kh, kw]; fan_out is size(0) * receptive field (not divided by groups).
    expect(convFans(32, 64, [3, 3], 4)).toEqual({ fanIn: 72, fanOut: 576 });
    expect(convFans(3, 16, [5, 7])).toEqual({ fanIn: 105, fanOut: 560 });
    expect(linearFans(128, 2)).toEqual({ fanIn: 128, fanOut: 2 });
    expect(() => fans([5])).toThrow(/at least 2 dims/);
    expect(() => convFans(30, 64, [3, 3], 4)).toThrow(/groups/);
  });

  it('draws Glorot-uniform values with bound sqrt(6 / (fanIn + fanOut))', () => {
    const { fanIn, fanOut } = convFans(32, 64, [3, 3]);
    const values = glorotUniform([64, 32, 3, 3], fanIn, fanOut, createRng(1));
    expect(values.length).toBe(64 * 32 * 9);
    expectUniform(values, Math.sqrt(6 / (fanIn + fanOut)));
  });

  it('draws Kaiming-uniform values; a = sqrt(5) gives PyTorch default bound 1/sqrt(fanIn)', () => {
    expectUniform(kaimingUniform([256, 100], 100, createRng(2)), Math.sqrt(6 / 100));
    expectUniform(kaimingUniform([256, 100], 100, createRng(3), Math.sqrt(5)), 1 / Math.sqrt(100));
  });

  it('initialises layers: glorot weights with zero biases, or PyTorch defaults', () => {
    const glorot = layerInit('glorot', [64, 50], true, createRng(4));
    expectUniform(glorot.weight, Math.sqrt(6 / 114));
    expect(glorot.bias!.every((b) => b === 0)).toBe(true);
    const torchInit = layerInit('pytorch', [512, 8, 3, 3], true, createRng(5));
    expectUniform(torchInit.weight, 1 / Math.sqrt(72));
    expect(torchInit.bias!.length).toBe(512);
    expectUniform(torchInit.bias!, 1 / Math.sqrt(72));
    expect(layerInit('pytorch', [4, 3], false, createRng(6)).bias).toBeNull();
  });

  it('is a function of the seed', () => {
    const a = glorotUniform([7, 3, 5], 15, 35, createRng(42));
    const b = glorotUniform([7, 3, 5], 15, 35, createRng(42));
    const c = glorotUniform([7, 3, 5], 15, 35, createRng(43));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
