/**
 * linear(x, w, b) = x w^T + b with PyTorch's layout: x [N, K], w [M, K], b [M] or null, y [N, M].
 * Gradients: dx = dy w, dw = dy^T x, db = sum over N of dy. Saves x only when w needs a gradient and w only when
 * x does.
 */
import {
  runLinearBackwardBias,
  runLinearBackwardInput,
  runLinearBackwardWeight,
  runLinearForward,
  type LinearDims,
} from '../../kernels/linear.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

export interface LinearSaved {
  /** The input, kept for dw (null when w needed no gradient at forward time). */
  x: Tensor | null;
  /** The weight, kept for dx (null when x needed no gradient at forward time). */
  w: Tensor | null;
  dims: LinearDims;
}

export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const dims = checkShapes(x, w, b);
  const y = Tensor.empty(x.gpu, [dims.n, dims.m], 'linear.forward:y');
  runLinearForward(x.gpu, x.buffer, w.buffer, b ? b.buffer : null, y.buffer, dims);
  record('linear', [x, w, b], y, (save) => ({
    x: w.requiresGrad ? save(x) : null,
    w: x.requiresGrad ? save(w) : null,
    dims,
  }));
  return y;
}

export function linearBackward(saved: LinearSaved, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const { dims } = saved;
  const gpu = dy.gpu;
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[0]) {
    if (!saved.w) throw new Error('linear: x gained requiresGrad after the forward pass, so w was not saved');
    dx = Tensor.empty(gpu, [dims.n, dims.k], 'linear.backward:dx');
    runLinearBackwardInput(gpu, dy.buffer, saved.w.buffer, dx.buffer, dims);
  }
  if (needs[1]) {
    if (!saved.x) throw new Error('linear: w gained requiresGrad after the forward pass, so x was not saved');
    dw = Tensor.empty(gpu, [dims.m, dims.k], 'linear.backward:dw');
    runLinearBackwardWeight(gpu, dy.buffer, saved.x.buffer, dw.buffer, dims);
  }
  if (needs[2]) {
    db = Tensor.empty(gpu, [dims.m], 'linear.backward:db');
    runLinearBackwardBias(gpu, dy.buffer, db.buffer, dims);
  }
  return [dx, dw, db];
}

function checkShapes(x: Tensor, w: Tensor, b: Tensor | null): LinearDims {
  const shapes = `x [${x.shape.join(', ')}], w [${w.shape.join(', ')}]${b ? `, b [${b.shape.join(', ')}]` : ''}`;
  if (x.shape.length !== 2 || w.shape.length !== 2) {
    throw new RangeError(`linear: expects x [N, K] and w [M, K], got ${shapes}`);
  }
  const [n, k] = x.shape as [number, number];
  const [m, kw] = w.shape as [number, number];
  if (k !== kw) throw new RangeError(`linear: x and w disagree on K (${k} vs ${kw}): ${shapes}`);
  if (b && (b.shape.length !== 1 || b.shape[0] !== m)) {
    throw new RangeError(`linear: b must be [${m}] (one per output feature), got ${shapes}`);
  }
  if (n === 0 || k === 0 || m === 0) throw new RangeError(`linear: empty dimension in ${shapes}`);
  return { n, k, m };
}
