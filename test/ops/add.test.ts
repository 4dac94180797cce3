import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { add } from '../../src/graph/ops/add.js';
import { relu } from '../../src/graph/ops/relu.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

describe('add', () => {
  for (const c of loadCases('add')) {
    it(`matches PyTorch forward and both gradients (${c.name}, alpha ${c.attrs.alpha})`, async () => {
      const gpu = await testGpu();
      const [a, b] = ['a', 'b'].map((r) => {
        const t = Tensor.fromData(gpu, c.t(r).data, c.t(r).shape);
        t.requiresGrad = true;
        return t;
      }) as [Tensor, Tensor];
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = add(a, b, c.attrs.alpha as number);
        backward(out, dy);
        return out;
      });
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      expectClose('da', await a.grad!.read(), c.t('da').data, c.t('da').shape);
      expectClose('db', await b.grad!.read(), c.t('db').data, c.t('db').shape);
      [a, b, dy, y].forEach((t) => t.dispose());
    });
  }

  it('accumulates gradients of a tensor used twice, and across backward calls', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, [1, -2, 3], [3]);
    x.requiresGrad = true;
    const seed = Tensor.fromData(gpu, [1, 1, 1], [3]);
    // y = x + 2 * relu(x): dy/dx = 1 + 2 * [x > 0]
    tidy(() => backward(add(x, relu(x), 2), seed));
    expect([...(await x.grad!.read())]).toEqual([3, 1, 3]);
    tidy(() => backward(add(x, x), seed));
    expect([...(await x.grad!.read())]).toEqual([5, 3, 5]);
    [x, seed].forEach((t) => t.dispose());
  });

  it('refuses tensors of different shapes, naming them', async () => {
    const gpu = await testGpu();
    const a = Tensor.zeros(gpu, [2, 3]);
    const b = Tensor.zeros(gpu, [3, 2]);
    expect(() => add(a, b)).toThrow('[2, 3] and [3, 2]');
    [a, b].forEach((t) => t.dispose());
  });

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    const shape = [2, 3, 4, 5];
    const data = (k: number): Float32Array => Float32Array.from({ length: 120 }, (_, i) => Math.sin(i * k));
    await gradCheck(gpu, 'add', [{ data: data(1.3), shape, grad: true }, { data: data(0.7), shape, grad: true }], (a, b) => add(a!, b!, -0.4));
  });
});
