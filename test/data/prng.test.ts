import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, gaussian, shuffleInPlace } from '../../src/data/prng.js';

describe('createRng', () => {
  it('is mulberry32: pinned first outputs, so a seed keeps naming the same data', () => {
    const rng = createRng(0);
    expect([rng.next(), rng.next(), rng.next()]).toEqual([0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
    expect(createRng(42).next()).toBe(0.6011037519201636);
  });

  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20 }, () => rng.next());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('draws next() in [0, 1) and nextInt(n) in [0, n), roughly uniformly', () => {
    const rng = createRng(3);
    const counts = new Array(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 20000; i++) {
      const x = rng.next();
      if (!(x >= 0 && x < 1)) outside++;
      counts[rng.nextInt(10)]++;
    }
    expect(outside).toBe(0);
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });

  it('refuses bad arguments', () => {
    expect(() => createRng(NaN)).toThrow(RangeError);
    expect(() => createRng(1).nextInt(0)).toThrow(RangeError);
    expect(() => createRng(1).nextInt(2.5)).toThrow(RangeError);
  });
});

describe('deriveSeed, shuffleInPlace, gaussian', () => {
  it('derives distinct, reproducible seeds per stream', () => {
    const seeds = new Set<number>();
    for (let a = 0; a < 20; a++) for (let b = 0; b < 20; b++) seeds.add(deriveSeed(5, a, b));
    expect(seeds.size).toBe(400);
    expect(deriveSeed(5, 1, 2)).toBe(deriveSeed(5, 1, 2));
    expect(deriveSeed(5, 1, 2)).not.toBe(deriveSeed(5, 2, 1));
  });

  it('shuffles into a permutation, reproducibly', () => {
    const a = shuffleInPlace(Array.from({ length: 50 }, (_, i) => i), createRng(9));
    const b = shuffleInPlace(Array.from({ length: 50 }, (_, i) => i), createRng(9));
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('draws standard normal samples', () => {
    const rng = createRng(11);
    const xs = Array.from({ length: 20000 }, () => gaussian(rng));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
