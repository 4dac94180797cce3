import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { ReLU } from '../../src/graph/modules/relu.js';
import { noGrad } from '../../src/graph/tape.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { BasicBlock, Bottleneck, ResNet } from '../../src/models/backbones/resnet.js';
import { hardwareTestGpu, softwareTestGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';

describe('ResNet blocks', () => {
  // The block's end, relu(bn(conv(out)) + identity), runs in the last conv's pass in inference (addRelu's op in
  // training) unless its ReLU module is wrapped on the instance, as a capture of "layerN.M.relu" would: then that
  // module runs, on the sum, with the same values. With a software GPU's kernel picks and a hardware GPU's (wider
  // blocks there, so that its 'tiled' forward applies; the BasicBlock's second conv splits K over the 5 x 5 output
  // and ends the block as it sums the splits). `last` is the kernel that ends the block.
  type Ctx = ConstructorParameters<typeof BasicBlock>[0];
  for (const [kind, name, channels, make, last] of [
    ['software', 'BasicBlock', 8, (ctx: Ctx) => new BasicBlock(ctx, 8, 16, 2), 'conv2d.forward_3_subgroup'],
    ['software', 'Bottleneck', 16, (ctx: Ctx) => new Bottleneck(ctx, 16, 4, 1), 'conv2d.forward_4_pointwise'],
    ['hardware', 'BasicBlock', 32, (ctx: Ctx) => new BasicBlock(ctx, 32, 64, 2), 'conv2d.sum_partials_affine'],
    ['hardware', 'Bottleneck', 64, (ctx: Ctx) => new Bottleneck(ctx, 64, 32, 2), 'conv2d.forward_4_pointwise'],
  ] as const) {
    it(`${name}: a wrapped ReLU sees the sum, with the values of the fused op (${kind} GPU)`, async () => {
      const gpu = await (kind === 'software' ? softwareTestGpu() : hardwareTestGpu());
      const block = make({ gpu, rng: createRng(5) });
      block.eval();
      const rng = createRng(6);
      const x = Tensor.fromData(gpu, Float32Array.from({ length: 2 * channels * 9 * 9 }, () => rng.next() - 0.5),
        [2, channels, 9, 9]);
      gpu.startProfiling();
      const fused = tidy(() => noGrad(() => block.forward(x)));
      // In inference the last conv ends the block as it stores (its batch norm, the identity, the ReLU): no add pass,
      // and the block's last dispatch is that conv.
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      expect(kernels).not.toContain('add.forward_relu');
      expect(kernels.at(-1), kernels.join()).toBe(last);
      // The convs (and the downsample branch's) all take their batch norm as they store, but for the software
      // Bottleneck's 4-channel ones, which run a variant that does not.
      const normalizes = kernels.filter((k) => k.startsWith('batchnorm2d.normalize'));
      if (kind === 'hardware' || name === 'BasicBlock') expect(normalizes, kernels.join()).toEqual([]);
      const seen: number[][] = [];
      Object.assign(block.relu, {
        forward(this: ReLU, input: Tensor): Tensor {
          seen.push(input.shape);
          return ReLU.prototype.forward.call(this, input);
        },
      });
      const wrapped = tidy(() => noGrad(() => block.forward(x)));
      expect(seen).toEqual([fused.shape]);
      expectClose('wrapped against fused', await wrapped.read(), await fused.read(), fused.shape, { rel: 1e-6 });
      [x, fused, wrapped].forEach((t) => t.dispose());
      block.dispose();
    });
  }
});

describe('ResNet stem', () => {
  // In inference conv1 applies bn1 and its ReLU as it stores (no batch norm pass in the whole forward); with conv1
  // wrapped on the instance, as a capture would, conv1 and bn1 run as modules, with the same values.
  for (const kind of ['software', 'hardware'] as const) {
    it(`runs conv1, bn1 and the ReLU in the conv's pass in inference, and as modules when wrapped (${kind} GPU)`,
      async () => {
        const gpu = await (kind === 'software' ? softwareTestGpu() : hardwareTestGpu());
        const model = new ResNet({ gpu, rng: createRng(8) }, 'resnet18', { numClasses: 4, inputSize: 32 });
        model.eval();
        const rng = createRng(9);
        const x = Tensor.fromData(gpu, Float32Array.from({ length: 3 * 32 * 32 }, () => rng.next() - 0.5),
          [1, 3, 32, 32]);
        gpu.startProfiling();
        const fused = tidy(() => noGrad(() => model.features(x)));
        const kernels = (await gpu.stopProfiling()).map((k) => k.name);
        expect(kernels.filter((k) => k.startsWith('batchnorm2d.normalize')), kernels.join()).toEqual([]);
        let seen = 0;
        Object.assign(model.conv1, {
          forward(this: typeof model.conv1, input: Tensor): Tensor {
            seen++;
            return Object.getPrototypeOf(this).forward.call(this, input);
          },
        });
        gpu.startProfiling();
        const wrapped = tidy(() => noGrad(() => model.features(x)));
        const wrappedKernels = (await gpu.stopProfiling()).map((k) => k.name);
        expect(seen).toBe(1);
        expect(wrappedKernels.filter((k) => k.startsWith('batchnorm2d.normalize'))).toHaveLength(1);
        expectClose('wrapped against fused', await wrapped.read(), await fused.read(), fused.shape, { rel: 1e-5 });
        [x, fused, wrapped].forEach((t) => t.dispose());
        model.dispose();
      });
  }
});
