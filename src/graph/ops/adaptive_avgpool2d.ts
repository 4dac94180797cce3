/**
 * adaptiveAvgpool2d(x, [oh, ow]) over NCHW, as torch.nn.functional.adaptive_avg_pool2d: output cell (oy, ox) is the
 * mean over rows [floor(oy*H/oh), ceil((oy+1)*H/oh)) and the columns likewise; [1, 1] is global average pooling.
 * Tensors over one storage binding are pooled in batch slices (src/kernels/batch_slices.ts).
 */
import { runAdaptiveAvgpool2dBackward, runAdaptiveAvgpool2dForward, type AdaptiveGeometry } from '../../kernels/adaptive_avgpool2d.js';
import { forEachBatchSlice } from '../../kernels/batch_slices.js';
import { nchw } from '../../kernels/pool_geometry.js';
import { record } from '../tape.js';
import { Tensor, type Shape } from '../tensor.js';

export interface AdaptiveAvgpool2dSaved {
  geometry: AdaptiveGeometry;
  xShape: Shape;
}

export function adaptiveAvgpool2d(x: Tensor, outputSize: number | readonly [number, number]): Tensor {
  const [n, c, h, w] = nchw('adaptiveAvgpool2d', x.shape);
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
    throw new RangeError(
      `adaptiveAvgpool2d: output size ${JSON.stringify(outputSize)} for input [${x.shape.join(', ')}] must be ` +
        'positive integers',
    );
  }
  const g: AdaptiveGeometry = { planes: n * c, h, w, oh, ow };
  const y = Tensor.empty(x.gpu, [n, c, oh, ow], 'adaptive_avgpool2d.forward:y');
  const operands = [
    { buffer: x.buffer, sampleBytes: 4 * c * h * w, access: 'read', role: 'x' },
    { buffer: y.buffer, sampleBytes: 4 * c * oh * ow, access: 'write', role: 'y' },
  ] as const;
  forEachBatchSlice(x.gpu, 'adaptive_avgpool2d.forward', n, operands, (count, [xs, ys]) =>
    runAdaptiveAvgpool2dForward(x.gpu, xs!, ys!, { ...g, planes: count * c }));
  record('adaptive_avgpool2d', [x], y, () => ({ geometry: g, xShape: x.shape }));
  return y;
}

export function adaptiveAvgpool2dBackward(saved: AdaptiveAvgpool2dSaved, dy: Tensor): (Tensor | null)[] {
  const dx = Tensor.empty(dy.gpu, saved.xShape, 'adaptive_avgpool2d.backward:dx');
  const g = saved.geometry;
  const [n, c] = saved.xShape as [number, number];
  const operands = [
    { buffer: dy.buffer, sampleBytes: 4 * c * g.oh * g.ow, access: 'read', role: 'dy' },
    { buffer: dx.buffer, sampleBytes: 4 * c * g.h * g.w, access: 'write', role: 'dx' },
  ] as const;
  forEachBatchSlice(dy.gpu, 'adaptive_avgpool2d.backward', n, operands, (count, [dys, dxs]) =>
    runAdaptiveAvgpool2dBackward(dy.gpu, dys!, dxs!, { ...g, planes: count * c }));
  return [dx];
}
