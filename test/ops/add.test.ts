import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { add } from '../../src/graph/ops/add.js';
import { addRelu } from '../../src/graph/ops/add_relu.js';
import { relu } from '../../src/graph/ops/relu.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

/**
 * Runs `op` on the case's a and b and its backward with the case's dy, checks y, da and db against it, and returns the
 * kernels that ran (autograd's fills of the leaves' gradients aside).
 */
async function expectMatches(c: RefCase, op: (a: Tensor, b: Tensor) => Tensor): Promise<string[]> {
  const gpu = await testGpu();
  const [a, b] = ['a', 'b'].map((r) => {
    const t = Tensor.fromData(gpu, c.t(r).data, c.t(r).shape);
    t.requiresGrad = true;
    return t;
  }) as [Tensor, Tensor];
  const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
  gpu.startProfiling();
  const y = tidy(() => {
    const out = op(a, b);
    backward(out, dy);
    return out;
  });
  const kernels = (await gpu.stopProfiling()).map((k) => k.name).filter((name) => !name.startsWith('fill.'));
  expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
  expectClose('da', await a.grad!.read(), c.t('da').data, c.t('da').shape);
  expectClose('db', await b.grad!.read(), c.t('db').data, c.t('db').shape);
  [a, b, dy, y].forEach((t) => t.dispose());
  return kernels;
}

/** Two inputs of `shape`, a and b, for a finite-difference check. */
function gradInputs(shape: number[], offset: number) {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = (k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) + offset);
  return [{ data: data(1.3), shape, grad: true }, { data: data(0.7), shape, grad: true }];
}

/** `op` on [2, 3] and [3, 2] throws, naming both shapes. */
async function expectShapesRefused(op: (a: Tensor, b: Tensor) => Tensor): Promise<void> {
  const gpu = await testGpu();
  const a = Tensor.zeros(gpu, [2, 3]);
  const b = Tensor.zeros(gpu, [3, 2]);
  expect(() => op(a, b)).toThrow('[2, 3] and [3, 2]');
  [a, b].forEach((t) => t.dispose());
}

describe('add', () => {
  for (const c of loadCases('add')) {
    it(`matches PyTorch forward and both gradients (${c.name}, alpha ${c.attrs.alpha})`, async () => {
      await expectMatches(c, (a, b) => add(a, b, c.attrs.alpha as number));
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

  it('refuses tensors of different shapes, naming them', () => expectShapesRefused(add));

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    await gradCheck(gpu, 'add', gradInputs([2, 3, 4, 5], 0), (a, b) => add(a!, b!, -0.4));
  });
});

describe('add_relu', () => {
  for (const c of loadCases('add_relu')) {
    it(`matches PyTorch forward and both gradients (${c.name})`, async () => {
      // One pass forward (the sum and the ReLU together), one backward (the mask, handed to both inputs).
      expect(await expectMatches(c, addRelu)).toEqual(['add.forward_relu', 'relu.backward']);
    });
  }

  it('gives the bits of relu(add(a, b)), also where one input needs no gradient', async () => {
    const gpu = await testGpu();
    const data = (k: number): number[] => Array.from({ length: 24 }, (_, i) => Math.sin(i * k) - 0.2);
    const a = Tensor.fromData(gpu, data(1.1), [2, 3, 4]);
    const b = Tensor.fromData(gpu, data(0.6), [2, 3, 4]);
    a.requiresGrad = true;
    const seed = Tensor.fromData(gpu, data(0.3), [2, 3, 4]);
    const run = async (op: (a: Tensor, b: Tensor) => Tensor): Promise<[Float32Array, Float32Array]> => {
      const y = tidy(() => {
        const out = op(a, b);
        backward(out, seed);
        return out;
      });
      const result: [Float32Array, Float32Array] = [await y.read(), await a.grad!.read()];
      a.grad!.dispose();
      a.grad = null;
      y.dispose();
      return result;
    };
    const fused = await run(addRelu);
    const plain = await run((x, y) => relu(add(x, y)));
    expect([...fused[0]]).toEqual([...plain[0]]);
    expect([...fused[1]]).toEqual([...plain[1]]);
    expect(b.grad).toBeNull();
    [a, b, seed].forEach((t) => t.dispose());
  });

  it('refuses tensors of different shapes, naming them', () => expectShapesRefused(addRelu));

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    await gradCheck(gpu, 'add_relu', gradInputs([2, 3, 4, 5], 0.3), (a, b) => addRelu(a!, b!));
  });
});
