import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { add } from '../../src/graph/ops/add.js';
import { addRelu } from '../../src/graph/ops/add_relu.js';
import { relu } from '../../src/graph/ops/relu.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

describe('add_relu', () => {
  for (const c of loadCases('add_relu')) {
    it(`matches PyTorch forward and both gradients (${c.name})`, async () => {
      const gpu = await testGpu();
      const [a, b] = ['a', 'b'].map((r) => {
        const t = Tensor.fromData(gpu, c.t(r).data, c.t(r).shape);
        t.requiresGrad = true;
        return t;
      }) as [Tensor, Tensor];
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      gpu.startProfiling();
      const y = tidy(() => {
        const out = addRelu(a, b);
        backward(out, dy);
        return out;
      });
      // One pass forward (the sum and the ReLU together), one backward (the mask, handed to both inputs); autograd's
      // own passes for the leaves' gradients (fill) aside.
      const kernels = (await gpu.stopProfiling()).map((k) => k.name).filter((name) => !name.startsWith('fill.'));
      expect(kernels).toEqual(['add.forward_relu', 'relu.backward']);
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      expectClose('da', await a.grad!.read(), c.t('da').data, c.t('da').shape);
      expectClose('db', await b.grad!.read(), c.t('db').data, c.t('db').shape);
      [a, b, dy, y].forEach((t) => t.dispose());
    });
  }

  it('gives the same values as relu(add(a, b)), also where one input needs no gradient', async () => {
    const gpu = await testGpu();
    const data = (k: number): number[] => Array.from({ length: 24 }, (_, i) => Math.sin(i * k) - 0.2);
    const a = Tensor.fromData(gpu, data(1.1), [2, 3, 4]);
    const b = Tensor.fromData(gpu, data(0.6), [2, 3, 4]);
    a.requiresGrad = true;
    const seed = Tensor.fromData(gpu, data(0.3), [2, 3, 4]);
    const fused = tidy(() => {
      const y = addRelu(a, b);
      backward(y, seed);
      return y;
    });
    const fusedGrad = await a.grad!.read();
    a.grad!.dispose();
    a.grad = null;
    const plain = tidy(() => {
      const y = relu(add(a, b));
      backward(y, seed);
      return y;
    });
    expect([...(await fused.read())]).toEqual([...(await plain.read())]);
    expect([...fusedGrad]).toEqual([...(await a.grad!.read())]);
    expect(b.grad).toBeNull();
    [a, b, seed, fused, plain].forEach((t) => t.dispose());
  });

  it('refuses tensors of different shapes, naming them', async () => {
    const gpu = await testGpu();
    const a = Tensor.zeros(gpu, [2, 3]);
    const b = Tensor.zeros(gpu, [3, 2]);
    expect(() => addRelu(a, b)).toThrow('[2, 3] and [3, 2]');
    [a, b].forEach((t) => t.dispose());
  });

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    const shape = [2, 3, 4, 5];
    const data = (k: number): Float32Array => Float32Array.from({ length: 120 }, (_, i) => Math.sin(i * k) + 0.3);
    await gradCheck(gpu, 'add_relu', [{ data: data(1.3), shape, grad: true }, { data: data(0.7), shape, grad: true }], (a, b) => addRelu(a!, b!));
  });
});
