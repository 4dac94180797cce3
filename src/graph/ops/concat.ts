/**
 * concat(xs) along channels (dim 1) of NCHW (or [N, C]) tensors; the gradient of each input is its channel slice.
 * Tensors over one storage binding are copied in batch slices (src/kernels/batch_slices.ts).
 */
import { forEachBatchSlice } from '../../kernels/batch_slices.js';
import { runConcatInto, runSliceChannels } from '../../kernels/concat.js';
import { record } from '../tape.js';
import { numel, Tensor, type Shape } from '../tensor.js';

export interface ConcatSaved {
  shapes: Shape[];
}

export function concat(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new RangeError('concat: no tensors');
  const first = xs[0]!;
  for (const x of xs) {
    if (x.shape.length !== first.shape.length || x.shape[0] !== first.shape[0] ||
        x.shape.slice(2).join() !== first.shape.slice(2).join()) {
      throw new RangeError(
        `concat: shapes ${xs.map((t) => `[${t.shape.join(', ')}]`).join(', ')} differ outside the channel dim`,
      );
    }
  }
  const cy = xs.reduce((sum, x) => sum + x.shape[1]!, 0);
  const inner = numel(first.shape.slice(2));
  const y = Tensor.empty(first.gpu, [first.shape[0]!, cy, ...first.shape.slice(2)], 'concat.forward:y');
  let offset = 0;
  for (const x of xs) {
    const cx = x.shape[1]!;
    const at = offset;
    // y keeps the other inputs' channels: a scratch copy of a slice of y must carry them in and out.
    const operands = [
      { buffer: x.buffer, sampleBytes: 4 * cx * inner, access: 'read', role: 'x' },
      { buffer: y.buffer, sampleBytes: 4 * cy * inner, access: 'readwrite', role: 'y' },
    ] as const;
    forEachBatchSlice(x.gpu, 'concat.forward', first.shape[0]!, operands, (batch, [xSlice, ySlice]) =>
      runConcatInto(x.gpu, xSlice!, ySlice!, { batch, cx, cy, inner, offset: at }));
    offset += cx;
  }
  record('concat', xs, y, () => ({ shapes: xs.map((x) => x.shape) }));
  return y;
}

export function concatBackward(saved: ConcatSaved, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const cy = dy.shape[1]!;
  const inner = numel(dy.shape.slice(2));
  let offset = 0;
  return saved.shapes.map((shape, i) => {
    const start = offset;
    offset += shape[1]!;
    if (!needs[i]) return null;
    const dx = Tensor.empty(dy.gpu, shape, 'concat.backward:dx');
    const cx = shape[1]!;
    const operands = [
      { buffer: dy.buffer, sampleBytes: 4 * cy * inner, access: 'read', role: 'dy' },
      { buffer: dx.buffer, sampleBytes: 4 * cx * inner, access: 'write', role: 'dx' },
    ] as const;
    forEachBatchSlice(dy.gpu, 'concat.backward', shape[0]!, operands, (batch, [dys, dxs]) =>
      runSliceChannels(dy.gpu, dys!, dxs!, { batch, cx, cy, inner, offset: start }));
    return dx;
  });
}
