/**
 * avgpool2d(x, options) over NCHW, as torch.nn.functional.avg_pool2d, divisor included: divisorOverride if given;
 * else with countIncludePad (the default) the window clipped to the padded input, so padding counts but the
 * positions past it that ceil_mode adds do not; else the real input elements in the window. Tensors over one storage
 * binding are pooled in batch slices (src/kernels/batch_slices.ts).
 */
import { runAvgpool2dBackward, runAvgpool2dForward, type AvgDivisor } from '../../kernels/avgpool2d.js';
import { forEachBatchSlice } from '../../kernels/batch_slices.js';
import { poolGeometry, type Pool2dGeometry, type Pool2dOptions } from '../../kernels/pool_geometry.js';
import { record } from '../tape.js';
import { Tensor, type Shape } from '../tensor.js';

export interface Avgpool2dOptions extends Pool2dOptions {
  /** Count padding positions in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window by this non-zero integer instead. */
  divisorOverride?: number;
}

export interface Avgpool2dSaved {
  geometry: Pool2dGeometry;
  divisor: AvgDivisor;
  xShape: Shape;
}

export function avgpool2d(x: Tensor, options: Avgpool2dOptions): Tensor {
  const g = poolGeometry('avgpool2d', x.shape, options);
  const divisor = avgpool2dDivisor(options);
  const y = Tensor.empty(x.gpu, [g.n, g.c, g.oh, g.ow], 'avgpool2d.forward:y');
  const operands = [
    { buffer: x.buffer, sampleBytes: 4 * g.c * g.h * g.w, access: 'read', role: 'x' },
    { buffer: y.buffer, sampleBytes: 4 * g.c * g.oh * g.ow, access: 'write', role: 'y' },
  ] as const;
  forEachBatchSlice(x.gpu, 'avgpool2d.forward', g.n, operands, (count, [xs, ys]) =>
    runAvgpool2dForward(x.gpu, xs!, ys!, { ...g, n: count, planes: count * g.c }, divisor));
  record('avgpool2d', [x], y, () => ({ geometry: g, divisor, xShape: x.shape }));
  return y;
}

/** The divisor rule the options ask for (checked). */
export function avgpool2dDivisor(options: Avgpool2dOptions): AvgDivisor {
  const override = options.divisorOverride;
  if (override !== undefined && (!Number.isInteger(override) || override === 0 || Math.abs(override) >= 2 ** 31)) {
    throw new RangeError(`avgpool2d: divisorOverride ${override} must be a non-zero integer`);
  }
  return { countIncludePad: options.countIncludePad ?? true, divisorOverride: override ?? 0 };
}

export function avgpool2dBackward(saved: Avgpool2dSaved, dy: Tensor): (Tensor | null)[] {
  const dx = Tensor.empty(dy.gpu, saved.xShape, 'avgpool2d.backward:dx');
  const g = saved.geometry;
  const operands = [
    { buffer: dy.buffer, sampleBytes: 4 * g.c * g.oh * g.ow, access: 'read', role: 'dy' },
    { buffer: dx.buffer, sampleBytes: 4 * g.c * g.h * g.w, access: 'write', role: 'dx' },
  ] as const;
  forEachBatchSlice(dy.gpu, 'avgpool2d.backward', g.n, operands, (count, [dys, dxs]) =>
    runAvgpool2dBackward(dy.gpu, dys!, dxs!, { ...g, n: count, planes: count * g.c }, saved.divisor));
  return [dx];
}
