import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { relu } from '../../src/graph/ops/relu.js';
import { flatten, reshape } from '../../src/graph/ops/reshape.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

// reshape/flatten are views (no kernel), so PyTorch's answer is the identity on the data: the row-major order.
describe('reshape and flatten', () => {
  it('flatten keeps C,H,W order and shares the storage', async () => {
    const gpu = await testGpu();
    const data = Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i);
    const x = Tensor.fromData(gpu, data, [2, 3, 2, 2]);
    const y = flatten(x);
    expect(y.shape).toEqual([2, 12]);
    expect(y.storage).toBe(x.storage);
    expect([...(await y.read())]).toEqual(data);
    expect(reshape(x, [-1, 4]).shape).toEqual([6, 4]);
    expect(() => reshape(x, [5, -1])).toThrow('cannot view [2, 3, 2, 2] as [5, -1]');
    x.dispose();
  });

  it('passes the gradient back in the input shape', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, [1, -1, 2, -2, 3, -3], [1, 2, 3]);
    x.requiresGrad = true;
    const seed = Tensor.fromData(gpu, [10, 20, 30, 40, 50, 60], [6]);
    tidy(() => backward(flatten(relu(x), 0), seed));
    expect(x.grad!.shape).toEqual([1, 2, 3]);
    expect([...(await x.grad!.read())]).toEqual([10, 0, 30, 0, 50, 0]);
    [x, seed].forEach((t) => t.dispose());
  });

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    const data = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) + 0.1);
    await gradCheck(gpu, 'reshape', [{ data, shape: [2, 3, 4], grad: true }], (x) => relu(reshape(x!, [4, 6])));
  });
});
