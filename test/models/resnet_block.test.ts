import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { ReLU } from '../../src/graph/modules/relu.js';
import { noGrad } from '../../src/graph/tape.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { BasicBlock, Bottleneck } from '../../src/models/backbones/resnet.js';
import { testGpu } from '../helpers/gpu.js';

describe('ResNet blocks', () => {
  // The block's end, relu(out + identity), runs as one op (addRelu) unless its ReLU module is wrapped on the
  // instance, as a capture of "layerN.M.relu" would: then that module runs, on the sum, with the same values.
  for (const [name, make] of [
    ['BasicBlock', (ctx: ConstructorParameters<typeof BasicBlock>[0]) => new BasicBlock(ctx, 8, 16, 2)],
    ['Bottleneck', (ctx: ConstructorParameters<typeof Bottleneck>[0]) => new Bottleneck(ctx, 16, 4, 1)],
  ] as const) {
    it(`${name}: a wrapped ReLU sees the sum, with the values of the fused op`, async () => {
      const gpu = await testGpu();
      const block = make({ gpu, rng: createRng(5) });
      block.eval();
      const rng = createRng(6);
      const channels = name === 'BasicBlock' ? 8 : 16;
      const x = Tensor.fromData(gpu, Float32Array.from({ length: 2 * channels * 9 * 9 }, () => rng.next() - 0.5),
        [2, channels, 9, 9]);
      gpu.startProfiling();
      const fused = tidy(() => noGrad(() => block.forward(x)));
      expect((await gpu.stopProfiling()).map((k) => k.name)).toContain('add.forward_relu');
      const seen: number[][] = [];
      Object.assign(block.relu, {
        forward(this: ReLU, input: Tensor): Tensor {
          seen.push(input.shape);
          return ReLU.prototype.forward.call(this, input);
        },
      });
      const wrapped = tidy(() => noGrad(() => block.forward(x)));
      expect(seen).toEqual([fused.shape]);
      expect([...(await wrapped.read())]).toEqual([...(await fused.read())]);
      [x, fused, wrapped].forEach((t) => t.dispose());
      block.dispose();
    });
  }
});
