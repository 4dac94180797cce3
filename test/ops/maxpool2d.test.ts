import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { maxpool2d, type Maxpool2dOptions } from '../../src/graph/ops/maxpool2d.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { runMaxpool2dBackward, runMaxpool2dForward } from '../../src/kernels/maxpool2d.js';
import { choosePoolBackwardVariant, choosePoolForwardVariant, poolBackwardVariants, poolForwardVariants, poolGeometry } from '../../src/kernels/pool_geometry.js';
import { embedChannels, splitChannels } from '../helpers/channel_slot.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { hardwareTestGpu, testGpu } from '../helpers/gpu.js';
import { normalised } from '../helpers/normalised.js';
import { createRng, shuffleInPlace } from '../../src/data/prng.js';

function options(c: RefCase): Maxpool2dOptions {
  const a = c.attrs as { kernel: [number, number]; stride: [number, number]; padding: [number, number];
    dilation: [number, number]; ceilMode: boolean };
  return { kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceilMode };
}

/** Distinct values at least 0.05 apart, shuffled: no near-ties for finite differences to straddle. */
function spread(n: number, seed: number): Float32Array {
  return shuffleInPlace(Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05), createRng(seed));
}

describe('maxpool2d', () => {
  for (const c of loadCases('maxpool2d')) {
    it(`matches PyTorch forward and backward (${c.name} [${c.t('x').shape}])`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      x.requiresGrad = true;
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = maxpool2d(x, options(c));
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
      const g = poolGeometry('maxpool2d', c.t('x').shape, options(c));
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      for (const fv of poolForwardVariants(g, 'maxpool2d')) {
        const y = Tensor.empty(gpu, c.t('y').shape, 'test:y');
        const idx = Tensor.empty(gpu, c.t('y').shape, 'test:idx');
        runMaxpool2dForward(gpu, x.buffer, y.buffer, idx.buffer, g, fv);
        expectClose(`${fv} y`, await y.read(), c.t('y').data, c.t('y').shape);
        for (const bv of poolBackwardVariants(g)) {
          const dx = Tensor.empty(gpu, c.t('x').shape, 'test:dx');
          runMaxpool2dBackward(gpu, idx.buffer, dy.buffer, dx.buffer, g, bv);
          expectClose(`${fv} -> ${bv} dx`, await dx.read(), c.t('dx').data, c.t('dx').shape);
          dx.dispose();
        }
        [y, idx].forEach((t) => t.dispose());
      }
      [x, dy].forEach((t) => t.dispose());
    });

    it(`writes y into and reads dy from a channel slot in every variant (${c.name})`, async () => {
      const gpu = await testGpu();
      const g = poolGeometry('maxpool2d', c.t('x').shape, options(c));
      const slot = { cy: g.c + 3, offset: 2 };
      const wideShape = [g.n, slot.cy, g.oh, g.ow];
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      // dy's other channels hold a huge marker: a kernel reading outside its slot shows in dx.
      const dy = Tensor.fromData(gpu, embedChannels(c.t('dy').data, c.t('dy').shape, slot, 1e6), wideShape);
      for (const fv of poolForwardVariants(g, 'maxpool2d')) {
        // NaN in the slot (as outputs are poisoned), a marker outside it.
        const unwritten = new Float32Array(c.t('y').data.length).fill(NaN);
        const y = Tensor.fromData(gpu, embedChannels(unwritten, c.t('y').shape, slot, -7), wideShape);
        const idx = Tensor.empty(gpu, c.t('y').shape, 'test:idx');
        runMaxpool2dForward(gpu, x.buffer, y.buffer, idx.buffer, g, fv, { slot });
        const { slice, outside } = splitChannels(await y.read(), c.t('y').shape, slot);
        expectClose(`${fv} y in slot`, slice, c.t('y').data, c.t('y').shape);
        expect(outside.every((v) => v === -7), `${fv}: channels outside the slot untouched`).toBe(true);
        for (const bv of poolBackwardVariants(g)) {
          const dx = Tensor.empty(gpu, c.t('x').shape, 'test:dx');
          runMaxpool2dBackward(gpu, idx.buffer, dy.buffer, dx.buffer, g, bv, slot);
          expectClose(`${fv} -> ${bv} dx from slot`, await dx.read(), c.t('dx').data, c.t('dx').shape);
          dx.dispose();
        }
        [y, idx].forEach((t) => t.dispose());
      }
      [x, dy].forEach((t) => t.dispose());
    });

    it(`pools relu(batchnorm2d(x)) exactly as normalising first, every forward variant (${c.name})`, async () => {
      const gpu = await testGpu();
      const g = poolGeometry('maxpool2d', c.t('x').shape, options(c));
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      const { z, stats } = normalised(gpu, x);
      for (const fv of poolForwardVariants(g, 'maxpool2d')) {
        const [want, wantIdx, got, gotIdx] = [0, 1, 2, 3].map(() => Tensor.empty(gpu, c.t('y').shape, 'test:out'));
        runMaxpool2dForward(gpu, z.buffer, want!.buffer, wantIdx!.buffer, g, fv);
        runMaxpool2dForward(gpu, x.buffer, got!.buffer, gotIdx!.buffer, g, fv, { bnReluStats: stats.buffer });
        expect([...(await got!.read())], `${fv} y`).toEqual([...(await want!.read())]);
        expect([...(await gotIdx!.read())], `${fv} idx`).toEqual([...(await wantIdx!.read())]);
        [want, wantIdx, got, gotIdx].forEach((t) => t!.dispose());
      }
      [x, z, stats].forEach((t) => t.dispose());
    });
  }

  it('routes a tie to the first maximum in row-major window order, and sums overlapping windows', async () => {
    const gpu = await testGpu();
    // One 3x3 plane of 1s: every 2x2 window (stride 1) selects its top-left element.
    const x = Tensor.fromData(gpu, new Float32Array(9).fill(1), [1, 1, 3, 3]);
    x.requiresGrad = true;
    const dy = Tensor.fromData(gpu, [1, 2, 3, 4], [1, 1, 2, 2]);
    tidy(() => backward(maxpool2d(x, { kernel: 2, stride: 1 }), dy));
    expect([...(await x.grad!.read())]).toEqual([1, 2, 0, 3, 4, 0, 0, 0, 0]);
    [x, dy].forEach((t) => t.dispose());
  });

  it('never selects padding, even when every real value is negative', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, [-5, -6, -7, -8], [1, 1, 2, 2]);
    const y = maxpool2d(x, { kernel: 2, stride: 1, padding: 1 });
    expect([...(await y.read())]).toEqual([-5, -5, -6, -5, -5, -6, -7, -7, -8]);
    [x, y].forEach((t) => t.dispose());
  });

  it('propagates NaN as PyTorch does: a NaN in the window wins, and takes the gradient', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, [1, NaN, 3, 2], [1, 1, 2, 2]);
    x.requiresGrad = true;
    const dy = Tensor.fromData(gpu, [5], [1, 1, 1, 1]);
    const y = tidy(() => {
      const out = maxpool2d(x, { kernel: 2 });
      backward(out, dy);
      return out;
    });
    expect([...(await y.read())]).toEqual([NaN]);
    expect([...(await x.grad!.read())]).toEqual([0, 5, 0, 0]);
    [x, dy, y].forEach((t) => t.dispose());
  });

  it('lets a NaN win in every forward variant where windows overlap (3x3, stride 2, padding 1)', async () => {
    const gpu = await testGpu();
    const g = poolGeometry('maxpool2d', [1, 1, 5, 5], { kernel: 3, stride: 2, padding: 1 });
    const data = Array.from({ length: 25 }, (_, i) => (i === 6 ? NaN : (i * 3) % 7)); // NaN at (1, 1): in 4 windows
    const want = Array.from({ length: 9 }, (_, o) => {
      let best = -Infinity;
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const [iy, ix] = [2 * Math.floor(o / 3) - 1 + ky, 2 * (o % 3) - 1 + kx];
          if (iy >= 0 && iy < 5 && ix >= 0 && ix < 5) best = Number.isNaN(best) ? best : Math.max(best, data[iy * 5 + ix]!);
        }
      }
      return best;
    });
    expect(want.filter(Number.isNaN)).toHaveLength(4);
    expect(poolForwardVariants(g, 'maxpool2d')).toEqual(['direct', 'unrolled', 'blocked']);
    for (const variant of poolForwardVariants(g, 'maxpool2d')) {
      const x = Tensor.fromData(gpu, data, [1, 1, 5, 5]);
      const y = Tensor.empty(gpu, [1, 1, 3, 3], 'y');
      const idx = Tensor.empty(gpu, [1, 1, 3, 3], 'idx');
      runMaxpool2dForward(gpu, x.buffer, y.buffer, idx.buffer, g, variant);
      expect([...(await y.read())], variant).toEqual(want);
      [x, y, idx].forEach((t) => t.dispose());
    }
  });

  it('pools one thread per output on a hardware GPU (and its gradient where windows do not overlap), and with the fastest lavapipe variant on a software one', async () => {
    const stem = poolGeometry('maxpool2d', [2, 3, 12, 12], { kernel: 3, stride: 2, padding: 1 });
    const cnnx = poolGeometry('maxpool2d', [2, 3, 14, 16], { kernel: 2, stride: 3 });
    expect([stem, cnnx].map((g) => choosePoolForwardVariant(g, 'maxpool2d', { isSoftware: true }))).toEqual(['blocked', 'unrolled']);
    expect([stem, cnnx].map((g) => choosePoolForwardVariant(g, 'maxpool2d', { isSoftware: false }))).toEqual(['direct', 'direct']);
    expect(choosePoolForwardVariant(cnnx, 'avgpool2d', { isSoftware: false })).toBe('direct');
    // The gradient: 'direct' on a hardware GPU only where windows do not overlap (each input in one window at most).
    expect([stem, cnnx].map((g) => choosePoolBackwardVariant(g, { isSoftware: true }))).toEqual(['vec4', 'vec4']);
    expect([stem, cnnx].map((g) => choosePoolBackwardVariant(g, { isSoftware: false }))).toEqual(['vec4', 'direct']);
    // The op on a device choosing as a hardware GPU runs the direct kernel and gives the same maxima.
    const gpu = await hardwareTestGpu();
    const c = loadCases('maxpool2d').find((k) => k.name === 'k3s2_odd')!;
    const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
    gpu.startProfiling();
    const y = maxpool2d(x, options(c));
    const kernels = (await gpu.stopProfiling()).map((k) => k.name).filter((name) => name.startsWith('maxpool2d'));
    expect(kernels).toEqual(['maxpool2d.forward']);
    expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
    [x, y].forEach((t) => t.dispose());
  });

  it('agrees with finite differences (overlapping, padded, dilated, ceil mode)', async () => {
    const gpu = await testGpu();
    const shape = [2, 2, 9, 8];
    const cases: Maxpool2dOptions[] = [
      { kernel: 3, stride: 2, padding: 1 },
      { kernel: [3, 2], stride: 1, dilation: [2, 1], ceilMode: true },
      { kernel: 2, stride: 3, ceilMode: true },
    ];
    for (const [k, opts] of cases.entries()) {
      await gradCheck(gpu, `maxpool2d ${JSON.stringify(opts)}`, [{ data: spread(2 * 2 * 9 * 8, k + 1), shape, grad: true }],
        (x) => maxpool2d(x, opts));
    }
  });

  it('rejects bad shapes and hyper-parameters, naming them', async () => {
    const gpu = await testGpu();
    const x = Tensor.zeros(gpu, [1, 2, 4, 4]);
    expect(() => maxpool2d(x, { kernel: 5 })).toThrow(/input \[1, 2, 4, 4\] with kernel \[5, 5\].*output size \[0, 0\]/);
    expect(() => maxpool2d(x, { kernel: 3, dilation: 2 })).toThrow(/dilation \[2, 2\].*output size \[0, 0\]/);
    expect(() => maxpool2d(x, { kernel: 2, padding: 2 })).toThrow(/padding \[2, 2\].*at most half the kernel/);
    expect(() => maxpool2d(x, { kernel: 2, stride: 0 })).toThrow(/stride 0 must be/);
    expect(() => maxpool2d(x, { kernel: [2, 1.5] })).toThrow(/kernel \[2,1.5\]/);
    const flat = Tensor.zeros(gpu, [2, 16]);
    expect(() => maxpool2d(flat, { kernel: 2 })).toThrow(/input \[2, 16\] must be a non-empty NCHW tensor/);
    [x, flat].forEach((t) => t.dispose());
  });
});
