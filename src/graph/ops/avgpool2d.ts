/**
 * avgpool2d(x, options) over NCHW, as torch.nn.functional.avg_pool2d, divisor included: divisorOverride if given;
 * else with countIncludePad (the default) the window clipped to the padded input, so padding counts but the
 * positions past it that ceil_mode adds do not; else the real input elements in the window.
 */
import { runAvgpool2dBackward, runAvgpool2dForward, type AvgDivisor } from '../../kernels/avgpool2d.js';
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
  const override = options.divisorOverride;
  if (override !== undefined && (!Number.isInteger(override) || override === 0 || Math.abs(override) >= 2 ** 31)) {
    throw new RangeError(`avgpool2d: divisorOverride ${override} must be a non-zero integer`);
  }
  const divisor: AvgDivisor = { countIncludePad: options.countIncludePad ?? true, divisorOverride: override ?? 0 };
  const y = Tensor.empty(x.gpu, [g.n, g.c, g.oh, g.ow], 'avgpool2d.forward:y');
  runAvgpool2dForward(x.gpu, x.buffer, y.buffer, g, divisor);
  record('avgpool2d', [x], y, () => ({ geometry: g, divisor, xShape: x.shape }));
  return y;
}

export function avgpool2dBackward(saved: Avgpool2dSaved, dy: Tensor): (Tensor | null)[] {
  const dx = Tensor.empty(dy.gpu, saved.xShape, 'avgpool2d.backward:dx');
  runAvgpool2dBackward(dy.gpu, dy.buffer, dx.buffer, saved.geometry, saved.divisor);
  return [dx];
}
