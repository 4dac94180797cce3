import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { concat } from '../../src/graph/ops/concat.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import {
  concatBlocksApply,
  concatCopyRows,
  concatVariant,
  runConcatInto,
  runSliceChannels,
  type ConcatVariant,
} from '../../src/kernels/concat.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

describe('concat', () => {
  for (const c of loadCases('concat')) {
    const count = c.attrs.inputs as number;
    it(`matches PyTorch forward and every input's gradient (${c.name}, ${count} inputs)`, async () => {
      const gpu = await testGpu();
      const xs = Array.from({ length: count }, (_, i) => {
        const t = Tensor.fromData(gpu, c.t(`x${i}`).data, c.t(`x${i}`).shape);
        t.requiresGrad = true;
        return t;
      });
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = concat(xs);
        backward(out, dy);
        return out;
      });
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      for (let i = 0; i < count; i++) {
        expectClose(`dx${i}`, await xs[i]!.grad!.read(), c.t(`dx${i}`).data, c.t(`dx${i}`).shape);
      }
      [...xs, dy, y].forEach((t) => t.dispose());
    });
  }

  it('places each input exactly at its channel boundary', async () => {
    const gpu = await testGpu();
    const a = Tensor.fromData(gpu, [1, 2, 3, 4], [2, 1, 2]);
    const b = Tensor.fromData(gpu, [5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 2]);
    const y = concat([a, b]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect([...(await y.read())]).toEqual([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
    [a, b, y].forEach((t) => t.dispose());
  });

  it('refuses shapes that differ outside the channel dim', async () => {
    const gpu = await testGpu();
    const a = Tensor.zeros(gpu, [2, 1, 3, 3]);
    const b = Tensor.zeros(gpu, [2, 1, 3, 4]);
    expect(() => concat([a, b])).toThrow('[2, 1, 3, 3], [2, 1, 3, 4]');
    [a, b].forEach((t) => t.dispose());
  });

  it('agrees with finite differences', async () => {
    const gpu = await testGpu();
    const data = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.cos(i * k));
    await gradCheck(
      gpu,
      'concat',
      [
        { data: data(2 * 3 * 4 * 3, 0.9), shape: [2, 3, 4, 3], grad: true },
        { data: data(2 * 2 * 4 * 3, 1.7), shape: [2, 2, 4, 3], grad: true },
      ],
      (a, b) => concat([a!, b!]),
    );
  });

  it('copies and slices exactly with every variant that applies, planes either side of the rows threshold', async () => {
    const gpu = await testGpu();
    // The last three are whole vec4s a sample ('blocks'): planes of 4k, odd planes in channels of 4k, and a sample's
    // run of 1,030 vec4s (past one workgroup's 512).
    const cases = [[2, 3, 7, 257, 4], [3, 5, 6, 1031, 0], [2, 2, 5, 63, 3], [2, 3, 7, 12, 2], [3, 4, 12, 49, 8],
      [2, 8, 20, 515, 4]] as const;
    for (const [batch, cx, cy, inner, offset] of cases) {
      const x = Float32Array.from({ length: batch * cx * inner }, (_, i) => i + 0.5);
      const y = Float32Array.from({ length: batch * cy * inner }, (_, i) => -i);
      const want = y.slice();
      for (let n = 0; n < batch; n++) {
        want.set(x.subarray(n * cx * inner, (n + 1) * cx * inner), (n * cy + offset) * inner);
      }
      const slice = { batch, cx, cy, inner, offset };
      const variants: ConcatVariant[] = concatBlocksApply(slice) ? ['direct', 'rows', 'blocks'] : ['direct', 'rows'];
      for (const variant of variants) {
        const xt = Tensor.fromData(gpu, x, [batch, cx, inner]);
        const yt = Tensor.fromData(gpu, y, [batch, cy, inner]);
        runConcatInto(gpu, xt.buffer, yt.buffer, slice, variant);
        expect(await yt.read(), `${variant} inner ${inner}`).toEqual(want);
        const back = Tensor.zeros(gpu, [batch, cx, inner]);
        runSliceChannels(gpu, yt.buffer, back.buffer, slice, variant);
        expect(await back.read(), `${variant} slice inner ${inner}`).toEqual(x);
        [xt, yt, back].forEach((t) => t.dispose());
      }
    }
    const pick = (cx: number, cy: number, inner: number, offset: number) => concatVariant({ batch: 2, cx, cy, inner, offset });
    // CNN-X's head (75 x 75 planes, 16 of 64 channels) and DenseNet's 7 x 7 stage (32 channels at 544) copy blocks.
    expect([pick(3, 6, 63, 1), pick(3, 6, 257, 1), pick(3, 6, 5625, 1), pick(16, 64, 5625, 16), pick(32, 544, 49, 512)])
      .toEqual(['direct', 'rows', 'rows', 'blocks', 'blocks']);
    const [xb, yb] = [gpu.alloc(64, 'x'), gpu.alloc(64, 'y')];
    const odd = { batch: 1, cx: 3, cy: 3, inner: 5, offset: 0 };
    expect(() => runConcatInto(gpu, xb, yb, odd, 'blocks')).toThrow(/'blocks' does not take/);
    [xb, yb].forEach((b) => gpu.free(b));
  });

  it('lays rows past one grid dimension over a second one', () => {
    const [, y, z] = concatCopyRows.grid({ rows: 3 * 65535 + 2, cx: 1, cy: 1, inner: 300, offset: 0, toY: 1 }, 65535);
    expect(y).toBeLessThanOrEqual(65535);
    expect(y * z).toBeGreaterThanOrEqual(3 * 65535 + 2);
  });
});
