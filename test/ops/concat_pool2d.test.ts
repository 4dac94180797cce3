import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { avgpool2d } from '../../src/graph/ops/avgpool2d.js';
import { batchnorm2dRelu } from '../../src/graph/ops/batchnorm2d.js';
import { concat } from '../../src/graph/ops/concat.js';
import { concatPool2d, type ConcatPool2dInput, type Pool2dSpec } from '../../src/graph/ops/concat_pool2d.js';
import { maxpool2d } from '../../src/graph/ops/maxpool2d.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import { createRng, shuffleInPlace } from '../../src/data/prng.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { hardwareTestGpu, testGpu } from '../helpers/gpu.js';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';

/** The fixture's inputs as concatPool2d takes them; every tensor made is in `made` (parameters require grads). */
function inputsOf(gpu: Gpu, c: RefCase, made: Tensor[]): ConcatPool2dInput[] {
  const pools = c.attrs.pools as Pool2dSpec[];
  const withBn = (c.attrs.bn as boolean[] | undefined) ?? pools.map(() => false);
  const tensor = (role: string, grad: boolean): Tensor => {
    const t = Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
    t.requiresGrad = grad;
    made.push(t);
    return t;
  };
  return pools.map((pool, i) => ({
    x: tensor(`x${i}`, true),
    pool,
    ...(withBn[i]
      ? {
          bnRelu: {
            state: {
              weight: tensor(`w${i}`, true),
              bias: tensor(`b${i}`, true),
              runningMean: tensor(`rm${i}`, false),
              runningVar: tensor(`rv${i}`, false),
            },
            options: { training: c.attrs.training as boolean, momentum: c.attrs.momentum as number,
              eps: c.attrs.eps as number },
          },
        }
      : {}),
  }));
}

/** Forward and backward of a fixture case against PyTorch on `gpu`. */
async function checkCase(gpu: Gpu, c: RefCase): Promise<void> {
  const made: Tensor[] = [];
  const inputs = inputsOf(gpu, c, made);
  const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
  const y = tidy(() => {
    const out = concatPool2d(inputs);
    backward(out, dy);
    return out;
  });
  expect(y.shape).toEqual(c.t('y').shape);
  expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
  for (const [i, { x, bnRelu }] of inputs.entries()) {
    expectClose(`dx${i}`, await x.grad!.read(), c.t(`dx${i}`).data, c.t(`dx${i}`).shape);
    if (!bnRelu) continue;
    const { weight, bias, runningMean, runningVar } = bnRelu.state;
    expectClose(`dw${i}`, await weight!.grad!.read(), c.t(`dw${i}`).data, c.t(`dw${i}`).shape);
    expectClose(`db${i}`, await bias!.grad!.read(), c.t(`db${i}`).data, c.t(`db${i}`).shape);
    expectClose(`rm${i} after`, await runningMean!.read(), c.t(`rm${i}_after`).data, c.t(`rm${i}_after`).shape);
    expectClose(`rv${i} after`, await runningVar!.read(), c.t(`rv${i}_after`).data, c.t(`rv${i}_after`).shape);
  }
  [...made, dy, y].forEach((t) => t.dispose());
}

describe('concat_pool2d', () => {
  for (const c of loadCases('concat_pool2d')) {
    it(`matches PyTorch cat of pools, forward and every gradient (${c.name})`, async () => {
      await checkCase(await testGpu(), c);
    });
  }

  for (const name of ['cnnx_bn_relu_train', 'cnnx_bn_relu_eval']) {
    const title = `computes a fused batch norm's gradient through its pool, never writing the pool's input gradient`;
    it(`${title} (${name})`, async () => {
      const gpu = await testGpu();
      const c = loadCases('concat_pool2d').find((k) => k.name === name)!;
      const made: Tensor[] = [];
      const inputs = inputsOf(gpu, c, made);
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      gpu.startProfiling();
      tidy(() => backward(concatPool2d(inputs), dy));
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      // Windows 2 wide every 3 (CNN-X's): the batch norm passes gather dy from the pooled gradient. On a software
      // device a training-mode batch norm's reduce reads what the pool's forward recorded per window; otherwise a
      // max pool's is summed over its windows' argmaxes there. The input without a batch norm still runs its pool's
      // backward.
      const training = c.attrs.training as boolean;
      const pools = (c.attrs.pools as Pool2dSpec[]).map((p) => p.op);
      const bn = c.attrs.bn as boolean[];
      for (const op of ['maxpool2d', 'avgpool2d'] as const) {
        const fusedHere = pools.some((p, i) => p === op && bn[i]);
        const plainHere = pools.some((p, i) => p === op && !bn[i]);
        const tag = op === 'maxpool2d' ? 'max' : 'avg';
        const bySums = gpu.isSoftware && training;
        const byArgmax = !bySums && op === 'maxpool2d' && gpu.isSoftware;
        const reduce = bySums ? 'batchnorm2d.backward_reduce_windows' :
          byArgmax ? 'batchnorm2d.backward_reduce_argmax' : `batchnorm2d.backward_reduce_pooled_${tag}`;
        expect(kernels.includes(reduce), op).toBe(fusedHere);
        expect(kernels.includes(`${op}.forward_1_unrolled_bn_relu_sums`), op).toBe(fusedHere && bySums);
        expect(kernels.includes(`batchnorm2d.backward_input_pooled_${tag}`), op).toBe(fusedHere);
        expect(kernels.some((k) => k.startsWith(`${op}.backward`)), op).toBe(plainHere);
      }
      [...made, dy].forEach((t) => t.dispose());
    });
  }

  it("matches PyTorch with a fused batch norm laid out as a hardware GPU's (wider workgroups), training and eval", async () => {
    const gpu = await hardwareTestGpu();
    for (const name of ['cnnx_bn_relu_train', 'cnnx_bn_relu_eval']) {
      await checkCase(gpu, loadCases('concat_pool2d').find((k) => k.name === name)!);
    }
  });

  it('matches PyTorch with every batched tensor taken in slices of one sample (a lowered binding limit)', async () => {
    const c = loadCases('concat_pool2d').find((k) => k.name === 'cnnx_bn_relu_train')!;
    const samples = (c.attrs.pools as unknown[]).map((_, i) => c.t(`x${i}`).shape);
    const largest = Math.max(...samples.map((s) => 4 * s.slice(1).reduce((a, b) => a * b, 1)));
    const maxBindingBytes = Math.ceil(largest / 256) * 256;
    const gpu = await Gpu.create(createNodePlatform(), { poison: true, maxBindingBytes });
    try {
      await checkCase(gpu, c);
    } finally {
      await gpu.sync();
      gpu.destroy();
    }
  });

  it('gives exactly what batchnorm2dRelu, the pools and concat give, and only the gradients needed', async () => {
    const gpu = await testGpu();
    const c = loadCases('concat_pool2d').find((k) => k.name === 'cnnx_bn_relu_train')!;
    const made: Tensor[] = [];
    const inputs = inputsOf(gpu, c, made);
    for (const t of made) t.requiresGrad = false;
    inputs[1]!.bnRelu!.state.bias!.requiresGrad = true;
    // Both forwards update the running statistics: start the second from the same values.
    const running = inputs.flatMap((i) => (i.bnRelu ? [i.bnRelu.state.runningMean!, i.bnRelu.state.runningVar!] : []));
    const before = await Promise.all(running.map((t) => t.read()));
    const fused = concatPool2d(inputs);
    const after = await Promise.all(running.map((t) => t.read()));
    running.forEach((t, i) => t.write(before[i]!));
    const separate = noGrad(() =>
      tidy(() =>
        concat(
          inputs.map(({ x, pool, bnRelu }) => {
            const z = bnRelu ? batchnorm2dRelu(x, bnRelu.state, bnRelu.options) : x;
            return pool.op === 'maxpool2d' ? maxpool2d(z, pool.options) : avgpool2d(z, pool.options);
          }),
        ),
      ),
    );
    expect([...(await fused.read())]).toEqual([...(await separate.read())]);
    for (const [i, t] of running.entries()) expect([...(await t.read())]).toEqual([...after[i]!]);
    tidy(() => backward(fused, Tensor.full(gpu, fused.shape, 1)));
    const withGrad = made.filter((t) => t.grad !== null);
    expect(withGrad.length).toBe(1);
    expect(withGrad[0]).toBe(inputs[1]!.bnRelu!.state.bias);
    [...made, fused, separate].forEach((t) => t.dispose());
  });

  it('refuses pooled shapes that differ outside the channel dim, and no inputs', async () => {
    const gpu = await testGpu();
    const a = Tensor.zeros(gpu, [2, 1, 8, 8]);
    const b = Tensor.zeros(gpu, [2, 1, 10, 8]);
    const k2: Pool2dSpec = { op: 'maxpool2d', options: { kernel: 2 } };
    expect(() => concatPool2d([{ x: a, pool: k2 }, { x: b, pool: { op: 'avgpool2d', options: { kernel: 2 } } }]))
      .toThrow('pooled shapes [2, 1, 4, 4], [2, 1, 5, 4] differ outside the channel dim');
    expect(() => concatPool2d([])).toThrow(/no inputs/);
    [a, b].forEach((t) => t.dispose());
  });

  it('agrees with finite differences, with and without a fused batch norm', async () => {
    const gpu = await testGpu();
    // Distinct values 0.05 apart: no near-ties for the max pool's finite differences to straddle.
    const spread = (n: number, seed: number): Float32Array =>
      shuffleInPlace(Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05), createRng(seed));
    const [maxK2S3, avgK3S3P1]: Pool2dSpec[] = [
      { op: 'maxpool2d', options: { kernel: 2, stride: 3 } },
      { op: 'avgpool2d', options: { kernel: 3, stride: 3, padding: 1 } },
    ];
    await gradCheck(
      gpu,
      'concat_pool2d',
      [
        { data: spread(2 * 2 * 8 * 8, 1), shape: [2, 2, 8, 8], grad: true },
        { data: spread(2 * 3 * 8 * 8, 2), shape: [2, 3, 8, 8], grad: true },
      ],
      (a, b) => concatPool2d([{ x: a!, pool: maxK2S3 }, { x: b!, pool: avgK3S3P1 }]),
    );
    await gradCheck(
      gpu,
      'concat_pool2d with batch norm + ReLU',
      [
        { data: spread(2 * 2 * 8 * 8, 3), shape: [2, 2, 8, 8], grad: true },
        { data: Float32Array.from([1.3, -0.7]), shape: [2], grad: true },
        { data: Float32Array.from([0.2, 0.1]), shape: [2], grad: true },
        { data: spread(2 * 3 * 8 * 8, 4), shape: [2, 3, 8, 8], grad: true },
      ],
      (a, w, b, c) => {
        const state = { weight: w!, bias: b!, runningMean: null, runningVar: null };
        return concatPool2d([
          { x: a!, pool: maxK2S3, bnRelu: { state, options: { training: true } } },
          { x: c!, pool: avgK3S3P1 },
        ]);
      },
    );
  });
});
