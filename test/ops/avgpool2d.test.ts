import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { avgpool2d, type Avgpool2dOptions } from '../../src/graph/ops/avgpool2d.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { runAvgpool2dBackward, runAvgpool2dForward } from '../../src/kernels/avgpool2d.js';
import { poolBackwardVariants, poolForwardVariants, poolGeometry } from '../../src/kernels/pool_geometry.js';
import { embedChannels, splitChannels } from '../helpers/channel_slot.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';
import { normalised } from '../helpers/normalised.js';

function options(c: RefCase): Avgpool2dOptions {
  const a = c.attrs as { kernel: [number, number]; stride: [number, number]; padding: [number, number];
    ceilMode: boolean; countIncludePad: boolean; divisorOverride?: number };
  return { kernel: a.kernel, stride: a.stride, padding: a.padding, ceilMode: a.ceilMode,
    countIncludePad: a.countIncludePad, divisorOverride: a.divisorOverride };
}

describe('avgpool2d', () => {
  for (const c of loadCases('avgpool2d')) {
    it(`matches PyTorch forward and backward (${c.name} [${c.t('x').shape}])`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      x.requiresGrad = true;
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = avgpool2d(x, options(c));
        backward(out, dy);
        return out;
      });
      expect(y.shape).toEqual(c.t('y').shape);
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      expectClose('dx', await x.grad!.read(), c.t('dx').data, c.t('dx').shape);
      [x, dy, y].forEach((t) => t.dispose());
    });

    it(`runs every kernel variant on ${c.name}`, async () => {
      const gpu = await testGpu();
      const opts = options(c);
      const g = poolGeometry('avgpool2d', c.t('x').shape, opts);
      const divisor = { countIncludePad: opts.countIncludePad ?? true, divisorOverride: opts.divisorOverride ?? 0 };
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      for (const fv of poolForwardVariants(g, 'avgpool2d')) {
        const y = Tensor.empty(gpu, c.t('y').shape, 'test:y');
        runAvgpool2dForward(gpu, x.buffer, y.buffer, g, divisor, fv);
        expectClose(`${fv} y`, await y.read(), c.t('y').data, c.t('y').shape);
        y.dispose();
      }
      for (const bv of poolBackwardVariants(g)) {
        const dx = Tensor.empty(gpu, c.t('x').shape, 'test:dx');
        runAvgpool2dBackward(gpu, dy.buffer, dx.buffer, g, divisor, bv);
        expectClose(`${bv} dx`, await dx.read(), c.t('dx').data, c.t('dx').shape);
        dx.dispose();
      }
      [x, dy].forEach((t) => t.dispose());
    });

    it(`writes y into and reads dy from a channel slot in every variant (${c.name})`, async () => {
      const gpu = await testGpu();
      const opts = options(c);
      const g = poolGeometry('avgpool2d', c.t('x').shape, opts);
      const divisor = { countIncludePad: opts.countIncludePad ?? true, divisorOverride: opts.divisorOverride ?? 0 };
      const slot = { cy: g.c + 3, offset: 2 };
      const wideShape = [g.n, slot.cy, g.oh, g.ow];
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      // dy's other channels hold a huge marker: a kernel reading outside its slot shows in dx.
      const dy = Tensor.fromData(gpu, embedChannels(c.t('dy').data, c.t('dy').shape, slot, 1e6), wideShape);
      for (const fv of poolForwardVariants(g, 'avgpool2d')) {
        // NaN in the slot (as outputs are poisoned), a marker outside it.
        const unwritten = new Float32Array(c.t('y').data.length).fill(NaN);
        const y = Tensor.fromData(gpu, embedChannels(unwritten, c.t('y').shape, slot, -7), wideShape);
        runAvgpool2dForward(gpu, x.buffer, y.buffer, g, divisor, fv, { slot });
        const { slice, outside } = splitChannels(await y.read(), c.t('y').shape, slot);
        expectClose(`${fv} y in slot`, slice, c.t('y').data, c.t('y').shape);
        expect(outside.every((v) => v === -7), `${fv}: channels outside the slot untouched`).toBe(true);
        y.dispose();
      }
      for (const bv of poolBackwardVariants(g)) {
        const dx = Tensor.empty(gpu, c.t('x').shape, 'test:dx');
        runAvgpool2dBackward(gpu, dy.buffer, dx.buffer, g, divisor, bv, slot);
        expectClose(`${bv} dx from slot`, await dx.read(), c.t('dx').data, c.t('dx').shape);
        dx.dispose();
      }
      [x, dy].forEach((t) => t.dispose());
    });

    it(`pools relu(batchnorm2d(x)) exactly as normalising first, every forward variant (${c.name})`, async () => {
      const gpu = await testGpu();
      const opts = options(c);
      const g = poolGeometry('avgpool2d', c.t('x').shape, opts);
      const divisor = { countIncludePad: opts.countIncludePad ?? true, divisorOverride: opts.divisorOverride ?? 0 };
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      const { z, stats } = normalised(gpu, x);
      for (const fv of poolForwardVariants(g, 'avgpool2d')) {
        const [want, got] = [0, 1].map(() => Tensor.empty(gpu, c.t('y').shape, 'test:y'));
        runAvgpool2dForward(gpu, z.buffer, want!.buffer, g, divisor, fv);
        runAvgpool2dForward(gpu, x.buffer, got!.buffer, g, divisor, fv, { bnReluStats: stats.buffer });
        expect([...(await got!.read())], `${fv} y`).toEqual([...(await want!.read())]);
        [want, got].forEach((t) => t!.dispose());
      }
      [x, z, stats].forEach((t) => t.dispose());
    });
  }

  it('counts padding but not the positions ceil mode adds past it', async () => {
    const gpu = await testGpu();
    // 4 rows of ones, kernel 3 stride 2 padding 1, ceil mode: windows [-1, 2), [1, 4) and [3, 6), the last clipped
    // to the padded input [-1, 5) before counting, so its divisor is 2 (one real row, one padding row), not 3.
    const x = Tensor.fromData(gpu, [1, 1, 1, 1], [1, 1, 4, 1]);
    const opts: Avgpool2dOptions = { kernel: [3, 1], stride: [2, 1], padding: [1, 0], ceilMode: true };
    const counted = avgpool2d(x, opts);
    const real = avgpool2d(x, { ...opts, countIncludePad: false });
    expect([...(await counted.read())]).toEqual([Math.fround(2 / 3), 1, 0.5]);
    expect([...(await real.read())]).toEqual([1, 1, 1]);
    [x, counted, real].forEach((t) => t.dispose());
  });

  it('agrees with finite differences (overlapping, padded, ceil mode, divisors)', async () => {
    const gpu = await testGpu();
    const shape = [2, 2, 9, 8];
    const data = Float32Array.from({ length: 2 * 2 * 9 * 8 }, (_, i) => Math.sin(i * 1.3));
    const cases: Avgpool2dOptions[] = [
      { kernel: 3, stride: 1, padding: 1, countIncludePad: false },
      { kernel: 3, stride: 2, padding: 1, ceilMode: true },
      { kernel: [2, 3], stride: 3, divisorOverride: 3 },
    ];
    for (const opts of cases) {
      await gradCheck(gpu, `avgpool2d ${JSON.stringify(opts)}`, [{ data, shape, grad: true }], (x) => avgpool2d(x, opts));
    }
  });

  it('rejects bad shapes and hyper-parameters, naming them', async () => {
    const gpu = await testGpu();
    const x = Tensor.zeros(gpu, [1, 2, 4, 4]);
    expect(() => avgpool2d(x, { kernel: 5 })).toThrow(/input \[1, 2, 4, 4\] with kernel \[5, 5\].*output size \[0, 0\]/);
    expect(() => avgpool2d(x, { kernel: 3, padding: [1, 2] })).toThrow(/padding \[1, 2\].*at most half the kernel/);
    expect(() => avgpool2d(x, { kernel: 2, divisorOverride: 0 })).toThrow(/divisorOverride 0 must be a non-zero integer/);
    const empty = Tensor.zeros(gpu, [1, 0, 4, 4]);
    expect(() => avgpool2d(empty, { kernel: 2 })).toThrow(/input \[1, 0, 4, 4\] must be a non-empty NCHW tensor/);
    [x, empty].forEach((t) => t.dispose());
  });
});
