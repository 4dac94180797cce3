/**
 * maxpool2d(x, options) over NCHW, as torch.nn.functional.max_pool2d: padding never wins (as -inf), ties go to the
 * first maximum in row-major window order, ceil_mode's last window starts inside the input or left padding. The
 * gradient goes to the element each window selected (summed where windows overlap). Tensors over one storage binding
 * are pooled in batch slices (src/kernels/batch_slices.ts).
 */
import { forEachBatchSlice } from '../../kernels/batch_slices.js';
import { runMaxpool2dBackward, runMaxpool2dForward } from '../../kernels/maxpool2d.js';
import { poolGeometry, type Pair, type Pool2dGeometry, type Pool2dOptions } from '../../kernels/pool_geometry.js';
import { record } from '../tape.js';
import { Tensor, type Shape } from '../tensor.js';

export interface Maxpool2dOptions extends Pool2dOptions {
  /** Spacing of the window's taps (1: contiguous). */
  dilation?: Pair;
}

export interface Maxpool2dSaved {
  /** [N, C, oh, ow] holding u32 positions iy * W + ix of each window's maximum, not floats. */
  indices: Tensor;
  geometry: Pool2dGeometry;
  xShape: Shape;
}

export function maxpool2d(x: Tensor, options: Maxpool2dOptions): Tensor {
  const g = poolGeometry('maxpool2d', x.shape, { ...options, dilation: options.dilation ?? 1 });
  const y = Tensor.empty(x.gpu, [g.n, g.c, g.oh, g.ow], 'maxpool2d.forward:y');
  const indices = Tensor.empty(x.gpu, y.shape, 'maxpool2d.forward:idx');
  const operands = [
    { buffer: x.buffer, sampleBytes: 4 * g.c * g.h * g.w, access: 'read', role: 'x' },
    { buffer: y.buffer, sampleBytes: 4 * g.c * g.oh * g.ow, access: 'write', role: 'y' },
    { buffer: indices.buffer, sampleBytes: 4 * g.c * g.oh * g.ow, access: 'write', role: 'idx' },
  ] as const;
  forEachBatchSlice(x.gpu, 'maxpool2d.forward', g.n, operands, (count, [xs, ys, idx]) =>
    runMaxpool2dForward(x.gpu, xs!, ys!, idx!, { ...g, n: count, planes: count * g.c }));
  record('maxpool2d', [x], y, (save) => ({ indices: save(indices), geometry: g, xShape: x.shape }));
  indices.dispose();
  return y;
}

export function maxpool2dBackward(saved: Maxpool2dSaved, dy: Tensor): (Tensor | null)[] {
  const dx = Tensor.empty(dy.gpu, saved.xShape, 'maxpool2d.backward:dx');
  const g = saved.geometry;
  const operands = [
    { buffer: saved.indices.buffer, sampleBytes: 4 * g.c * g.oh * g.ow, access: 'read', role: 'idx' },
    { buffer: dy.buffer, sampleBytes: 4 * g.c * g.oh * g.ow, access: 'read', role: 'dy' },
    { buffer: dx.buffer, sampleBytes: 4 * g.c * g.h * g.w, access: 'write', role: 'dx' },
  ] as const;
  forEachBatchSlice(dy.gpu, 'maxpool2d.backward', g.n, operands, (count, [idx, dys, dxs]) =>
    runMaxpool2dBackward(dy.gpu, idx!, dys!, dxs!, { ...g, n: count, planes: count * g.c }));
  return [dx];
}
