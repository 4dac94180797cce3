import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { relu } from '../../src/graph/ops/relu.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

describe('relu', () => {
  for (const c of loadCases('relu')) {
    it(`matches PyTorch forward and backward (${c.name} [${c.t('x').shape}])`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      x.requiresGrad = true;
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = relu(x);
        backward(out, dy);
        return out;
      });
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      expectClose('dx', await x.grad!.read(), c.t('dx').data, c.t('dx').shape);
      [x, dy, y].forEach((t) => t.dispose());
    });
  }

  it('has gradient 0 at exactly 0 and passes dy elsewhere', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, [-1, 0, 2], [3]);
    x.requiresGrad = true;
    const dy = Tensor.fromData(gpu, [5, 6, 7], [3]);
    tidy(() => backward(relu(x), dy));
    expect([...(await x.grad!.read())]).toEqual([0, 0, 7]);
    [x, dy].forEach((t) => t.dispose());
  });

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    const data = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i * 1.7) + 0.05);
    await gradCheck(gpu, 'relu', [{ data, shape: [2, 3, 4, 5], grad: true }], (x) => relu(x));
  });
});
