/**
 * CNN-X end to end against PyTorch (test/reference/cnnx_step.py): from the same weights, train-mode logits match,
 * and one Adam step changes every parameter as torch.optim.Adam does.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { softmaxCrossEntropy } from '../../src/graph/ops/softmax_cross_entropy.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import type { WeightMap } from '../../src/io/weight_tensor.js';
import { Cnnx, CnnxBranch, CNNX_PAPER } from '../../src/models/cnnx.js';
import { Adam } from '../../src/train/adam.js';
import { expectClose, relativeError } from '../helpers/compare.js';
import { loadCases } from '../helpers/fixtures.js';
import { hardwareTestGpu, testGpu } from '../helpers/gpu.js';
import type { Gpu } from '../../src/runtime/gpu.js';

describe('CNN-X against PyTorch', () => {
  const c = loadCases('cnnx_step')[0]!;

  it('has the paper\'s parameter count at 224 with 4 classes', async () => {
    const gpu = await testGpu();
    const model = new Cnnx({ gpu, rng: createRng(0) }, CNNX_PAPER);
    expect(model.numParameters()).toBe(1_443_332);
    model.dispose();
  });

  // On this device, and with a hardware GPU's kernels (lavapipe running them). Either way the convs' forward hands
  // the batch norms their statistics (no stats pass over the conv outputs): here the multi-channel 'depthwise'
  // kernel, on a hardware GPU (this device too, where it is one) 'patch'.
  for (const kind of ['this device', 'hardware'] as const) {
    it(`matches the logits and one Adam step from given weights (${kind} kernels)`, async () => {
      const gpu = kind === 'hardware' ? await hardwareTestGpu() : await testGpu();
      await checkStep(gpu, !gpu.isSoftware);
    });
  }

  async function checkStep(gpu: Gpu, hardware: boolean): Promise<void> {
    const model = new Cnnx({ gpu, rng: createRng(0) }, { ...CNNX_PAPER, inputSize: c.attrs.inputSize as number });
    const names = [...(await model.stateDict()).keys()];
    const before: WeightMap = new Map(names.map((name) => [name, c.t(`before.${name}`)]));
    model.loadStateDict(before);
    const optimizer = new Adam(model.namedParameters(), { lr: c.attrs.lr as number });
    const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
    const labels = Tensor.fromData(gpu, c.t('labels').data, c.t('labels').shape);
    gpu.startProfiling();
    const [logits, loss] = tidy(() => {
      const out = model.forward(x);
      const l = softmaxCrossEntropy(out, labels);
      backward(l);
      optimizer.step();
      return [out, l];
    });
    const kernels = (await gpu.stopProfiling()).map((k) => k.name);
    const statsKernel = hardware ? 'conv2d.forward_7_patch_stats' : 'conv2d.forward_6_depthwise_multi_stats';
    expect(kernels.filter((k) => k === statsKernel)).toHaveLength(CNNX_PAPER.branches.length);
    expect(kernels.some((k) => k.startsWith('batchnorm2d.stats_partial'))).toBe(false);
    expectClose('logits', await logits.read(), c.t('logits').data, c.t('logits').shape);
    expectClose('loss', await loss.read(), c.t('loss').data, [1]);

    const after = await model.stateDict();
    for (const name of names) {
      const want = c.t(`after.${name}`);
      if (name.endsWith('num_batches_tracked')) {
        expect(after.get(name)!.data[0], name).toBe(want.data[0]);
        continue;
      }
      if (name.includes('running_')) {
        expectClose(name, after.get(name)!.data, want.data, want.shape);
        continue;
      }
      // The bar is on the change Adam made (about lr per element), not on the weights themselves.
      const start = before.get(name)!.data;
      const got = after.get(name)!.data.map((v, i) => v - start[i]!);
      const ref = want.data.map((v, i) => v - start[i]!);
      expect(relativeError(got, ref), `${name}: change after one Adam step`).toBeLessThanOrEqual(1e-3);
    }
    [x, labels, logits, loss].forEach((t) => t.dispose());
    optimizer.dispose();
    model.dispose();
  }

  it('pools into the concatenation in place, with exactly the values of pooling each branch then concatenating', async () => {
    const gpu = await testGpu();
    const model = new Cnnx({ gpu, rng: createRng(3) }, { ...CNNX_PAPER, inputSize: 40 });
    model.eval();
    const rng = createRng(4);
    const x = Tensor.fromData(gpu, Float32Array.from({ length: 3 * 40 * 40 }, () => rng.next()), [3, 1, 40, 40]);
    const fused = tidy(() => noGrad(() => model.features(x)));
    // A wrapped branch forward (as a CAM capture of "branches.1" does) makes every branch run on its own.
    const branch = [...model.branches][1]!;
    const seen: Tensor[] = [];
    Object.assign(branch, {
      forward(this: CnnxBranch, input: Tensor): Tensor {
        const y = CnnxBranch.prototype.forward.call(this, input);
        seen.push(y);
        return y;
      },
    });
    const separate = tidy(() => noGrad(() => model.features(x)));
    expect(seen.length).toBe(1);
    expect([...(await fused.read())]).toEqual([...(await separate.read())]);
    [x, fused, separate].forEach((t) => t.dispose());
    model.dispose();
  });
});
