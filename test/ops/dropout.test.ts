import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { dropout } from '../../src/graph/ops/dropout.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { createRng } from '../../src/data/prng.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

function randomData(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.next() + 0.5); // in [0.5, 1.5): never 0
}

describe('dropout', () => {
  it('drops a fraction near p and scales the kept elements by 1 / (1 - p)', async () => {
    const gpu = await testGpu();
    const n = 100_003;
    const data = randomData(n, 1);
    const x = Tensor.fromData(gpu, data, [n]);
    for (const p of [0.1, 0.5, 0.8]) {
      const y = dropout(x, { p, training: true, seed: 42 });
      const got = await y.read();
      let dropped = 0;
      let misscaled = 0;
      for (let i = 0; i < n; i++) {
        if (got[i] === 0) dropped++;
        else if (Math.abs(got[i]! - data[i]! / (1 - p)) > 1e-6 * Math.abs(got[i]!)) misscaled++;
      }
      expect(misscaled, `p = ${p}: kept elements not scaled by 1 / (1 - p)`).toBe(0);
      expect(Math.abs(dropped / n - p), `p = ${p}: dropped ${dropped} of ${n}`).toBeLessThan(0.01);
      y.dispose();
    }
    x.dispose();
  });

  it('draws the same mask for the same seed and a different one for another seed', async () => {
    const gpu = await testGpu();
    const n = 4096;
    const x = Tensor.fromData(gpu, randomData(n, 2), [2, 2048]);
    const mask = async (seed: number) => {
      const y = dropout(x, { p: 0.5, training: true, seed });
      const values = await y.read();
      y.dispose();
      return Array.from(values, (v) => (v === 0 ? 0 : 1));
    };
    const a = await mask(7);
    expect(await mask(7)).toEqual(a);
    const b = await mask(8);
    const differ = a.filter((v, i) => v !== b[i]).length;
    expect(differ / n).toBeGreaterThan(0.4); // independent masks at p = 0.5 differ in about half the elements
    expect(differ / n).toBeLessThan(0.6);
    x.dispose();
  });

  it('applies the forward mask in the backward pass: dx = dy * y / x', async () => {
    const gpu = await testGpu();
    const n = 3 * 5 * 7 * 11;
    const data = randomData(n, 3);
    const dyData = Float32Array.from(randomData(n, 4), (v) => v - 1);
    const x = Tensor.fromData(gpu, data, [3, 5, 7, 11]);
    x.requiresGrad = true;
    const dy = Tensor.fromData(gpu, dyData, [3, 5, 7, 11]);
    const y = tidy(() => {
      const out = dropout(x, { p: 0.3, training: true, seed: 123 });
      backward(out, dy);
      return out;
    });
    const [yv, dx] = [await y.read(), await x.grad!.read()];
    for (let i = 0; i < n; i++) expect(dx[i]).toBeCloseTo((dyData[i]! * yv[i]!) / data[i]!, 5);
    [x, dy, y].forEach((t) => t.dispose());
  });

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    const data = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i * 1.3));
    await gradCheck(gpu, 'dropout', [{ data, shape: [2, 3, 4, 5], grad: true }], (x) =>
      dropout(x, { p: 0.4, training: true, seed: 99 }),
    );
  });

  it('is the identity (a view of x, gradient passed through) in evaluation and with p = 0', async () => {
    const gpu = await testGpu();
    const data = randomData(10, 5);
    for (const options of [{ p: 0.5, training: false, seed: 1 }, { p: 0, training: true, seed: 1 }]) {
      const x = Tensor.fromData(gpu, data, [2, 5]);
      x.requiresGrad = true;
      const dy = Tensor.fromData(gpu, randomData(10, 6), [2, 5]);
      const y = tidy(() => {
        const out = dropout(x, options);
        backward(out, dy);
        return out;
      });
      expect(y.storage).toBe(x.storage);
      expect([...(await y.read())]).toEqual([...data]);
      expect([...(await x.grad!.read())]).toEqual([...(await dy.read())]);
      [x, dy, y].forEach((t) => t.dispose());
    }
  });

  it('gives zeros, not NaN, with p = 1', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, randomData(1000, 7), [1000]);
    const y = dropout(x, { p: 1, training: true, seed: 3 });
    expect((await y.read()).every((v) => v === 0)).toBe(true);
    [x, y].forEach((t) => t.dispose());
  });

  it('rejects p outside [0, 1] and seeds that are not 32-bit integers', async () => {
    const gpu = await testGpu();
    const x = Tensor.zeros(gpu, [4]);
    expect(() => dropout(x, { p: 1.5, training: true, seed: 0 })).toThrow('dropout: p must be in [0, 1], got 1.5');
    expect(() => dropout(x, { p: NaN, training: true, seed: 0 })).toThrow('dropout: p must be in [0, 1], got NaN');
    expect(() => dropout(x, { p: 0.5, training: true, seed: -1 })).toThrow('dropout: seed must be an integer in [0, 2^32), got -1');
    expect(() => dropout(x, { p: 0.5, training: true, seed: 0.5 })).toThrow('got 0.5');
    x.dispose();
  });
});
