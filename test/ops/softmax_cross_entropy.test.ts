import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { softmax, softmaxCrossEntropy } from '../../src/graph/ops/softmax_cross_entropy.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import { createRng } from '../../src/data/prng.js';
import { expectClose } from '../helpers/compare.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { loadCases } from '../helpers/fixtures.js';
import { testGpu } from '../helpers/gpu.js';

describe('softmax_cross_entropy', () => {
  for (const c of loadCases('softmax_cross_entropy')) {
    it(`matches PyTorch loss, gradient and softmax (${c.name} [${c.t('x').shape}])`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      x.requiresGrad = true;
      const labels = Tensor.fromData(gpu, c.t('labels').data, c.t('labels').shape);
      const dy = Tensor.fromData(gpu, c.t('dy').data, []);
      const loss = tidy(() => {
        const out = softmaxCrossEntropy(x, labels);
        backward(out, dy);
        return out;
      });
      expect(loss.shape).toEqual([]);
      expectClose('loss', await loss.read(), c.t('y').data, [1]);
      expectClose('dx', await x.grad!.read(), c.t('dx').data, c.t('dx').shape);
      const probs = noGrad(() => softmax(x));
      expectClose('probs', await probs.read(), c.t('probs').data, c.t('probs').shape);
      [x, labels, dy, loss, probs].forEach((t) => t.dispose());
    });
  }

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    const rng = createRng(9);
    const logits = Float32Array.from({ length: 6 * 5 }, () => rng.next() * 4 - 2);
    const labels = Float32Array.from([0, 4, 2, 2, 1, 3]);
    await gradCheck(
      gpu,
      'softmax_cross_entropy',
      [
        { data: logits, shape: [6, 5], grad: true },
        { data: labels, shape: [6], grad: false },
      ],
      (x, l) => softmaxCrossEntropy(x, l),
      { eps: 1e-2, tol: 2e-2 },
    );
  });

  it('makes the loss NaN for a label outside [0, C) or not an integer', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, [1, 2, 3, 4, 5, 6], [2, 3]);
    for (const bad of [3, -1, 0.5]) {
      const labels = Tensor.fromData(gpu, [0, bad], [2]);
      const loss = softmaxCrossEntropy(x, labels);
      expect(Number.isNaN((await loss.read())[0]), `label ${bad}`).toBe(true);
      [labels, loss].forEach((t) => t.dispose());
    }
    x.dispose();
  });

  it('names the shapes when they disagree, and refuses labels that require a gradient', async () => {
    const gpu = await testGpu();
    const x = Tensor.zeros(gpu, [3, 4]);
    const labels2 = Tensor.zeros(gpu, [2]);
    const flat = Tensor.zeros(gpu, [12]);
    const labels3 = Tensor.zeros(gpu, [3]);
    expect(() => softmaxCrossEntropy(x, labels2)).toThrow(
      'softmaxCrossEntropy: labels must be [3] (one class index per row of logits [3, 4]), got [2]',
    );
    expect(() => softmaxCrossEntropy(flat, labels3)).toThrow('softmaxCrossEntropy: logits must be [N, C] with N, C >= 1, got [12]');
    expect(() => softmax(flat)).toThrow('softmax: logits must be [N, C] with N, C >= 1, got [12]');
    labels3.requiresGrad = true;
    expect(() => softmaxCrossEntropy(x, labels3)).toThrow('labels are class indices and cannot require a gradient');
    [x, labels2, flat, labels3].forEach((t) => t.dispose());
  });
});
