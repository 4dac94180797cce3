import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { adaptiveAvgpool2d } from '../../src/graph/ops/adaptive_avgpool2d.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import {
  adaptiveBackwardVariant,
  adaptiveForwardVariant,
  planes4Applies,
  runAdaptiveAvgpool2dBackward,
  runAdaptiveAvgpool2dForward,
} from '../../src/kernels/adaptive_avgpool2d.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { testGpu } from '../helpers/gpu.js';

describe('adaptiveAvgpool2d', () => {
  for (const c of loadCases('adaptive_avgpool2d')) {
    const outputSize = c.attrs.outputSize as [number, number];
    it(`matches PyTorch forward and backward (${c.name} [${c.t('x').shape}] -> [${outputSize}])`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      x.requiresGrad = true;
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = adaptiveAvgpool2d(x, outputSize);
        backward(out, dy);
        return out;
      });
      expect(y.shape).toEqual(c.t('y').shape);
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      expectClose('dx', await x.grad!.read(), c.t('dx').data, c.t('dx').shape);
      [x, dy, y].forEach((t) => t.dispose());
    });
  }

  // The [1, 1] variants: 'direct' and 'global' take any, 'planes4' planes of up to 64 elements, 4 planes at a time.
  const globalVariants = (c: RefCase): ('direct' | 'global' | 'planes4')[] =>
    ['direct', 'global', ...(planes4Applies(geometry(c.t('x').shape)) ? ['planes4' as const] : [])];

  it('runs every forward kernel on the global cases (the reduction where planes are large, 4 planes a thread where small)', async () => {
    const gpu = await testGpu();
    const global = loadCases('adaptive_avgpool2d').filter((c) => c.name.startsWith('global'));
    expect(global.map((c) => adaptiveForwardVariant(geometry(c.t('x').shape))))
      .toEqual(['direct', 'global', 'global', 'planes4', 'planes4']);
    for (const c of global) {
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      for (const variant of globalVariants(c)) {
        const y = Tensor.empty(gpu, c.t('y').shape, 'test:y');
        runAdaptiveAvgpool2dForward(gpu, x.buffer, y.buffer, geometry(c.t('x').shape), variant);
        expectClose(`${c.name} ${variant} y`, await y.read(), c.t('y').data, c.t('y').shape);
        y.dispose();
      }
      x.dispose();
    }
  });

  it('runs every backward kernel on the global cases (a thread per plane, or per 4 small planes, for [1, 1] outputs)', async () => {
    const gpu = await testGpu();
    const global = loadCases('adaptive_avgpool2d').filter((c) => c.name.startsWith('global'));
    expect(global.map((c) => adaptiveBackwardVariant(geometry(c.t('x').shape))))
      .toEqual(['global', 'global', 'global', 'planes4', 'planes4']);
    expect(adaptiveBackwardVariant({ planes: 6, h: 9, w: 8, oh: 2, ow: 1 })).toBe('direct');
    for (const c of global) {
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      for (const variant of globalVariants(c)) {
        const dx = Tensor.empty(gpu, c.t('dx').shape, 'test:dx');
        runAdaptiveAvgpool2dBackward(gpu, dy.buffer, dx.buffer, geometry(c.t('x').shape), variant);
        expectClose(`${c.name} ${variant} dx`, await dx.read(), c.t('dx').data, c.t('dx').shape);
        dx.dispose();
      }
      dy.dispose();
    }
  });

  it('agrees with finite differences (overlapping windows, global)', async () => {
    const gpu = await testGpu();
    const shape = [2, 3, 10, 9];
    const data = Float32Array.from({ length: 2 * 3 * 10 * 9 }, (_, i) => Math.cos(i * 0.7));
    for (const size of [[4, 5], [1, 1], [12, 4]] as const) {
      await gradCheck(gpu, `adaptiveAvgpool2d [${size}]`, [{ data, shape, grad: true }], (x) => adaptiveAvgpool2d(x, size));
    }
  });

  it('rejects bad shapes and output sizes, naming them', async () => {
    const gpu = await testGpu();
    const x = Tensor.zeros(gpu, [1, 2, 4, 4]);
    expect(() => adaptiveAvgpool2d(x, [0, 2])).toThrow(/output size \[0,2\] for input \[1, 2, 4, 4\]/);
    const flat = Tensor.zeros(gpu, [3, 4, 4]);
    expect(() => adaptiveAvgpool2d(flat, 1)).toThrow(/input \[3, 4, 4\] must be a non-empty NCHW tensor/);
    [x, flat].forEach((t) => t.dispose());
  });
});

function geometry(shape: number[]) {
  return { planes: shape[0]! * shape[1]!, h: shape[2]!, w: shape[3]!, oh: 1, ow: 1 };
}
