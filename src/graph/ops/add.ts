/** add(a, b, alpha) = a + alpha * b for tensors of one shape (residual connections and scaled residuals). */
import { runAdd } from '../../kernels/add.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';
import { scale } from './scale.js';

export interface AddSaved {
  alpha: number;
}

export function add(a: Tensor, b: Tensor, alpha = 1): Tensor {
  if (a.shape.join() !== b.shape.join()) {
    throw new RangeError(`add: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
  const y = Tensor.empty(a.gpu, a.shape, 'add.forward:y');
  runAdd(a.gpu, a.buffer, b.buffer, y.buffer, a.size, alpha);
  record('add', [a, b], y, () => ({ alpha }));
  return y;
}

export function addBackward(saved: AddSaved, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const da = needs[0] ? dy.retain() : null;
  const db = needs[1] ? (saved.alpha === 1 ? dy.retain() : scale(dy, saved.alpha)) : null;
  return [da, db];
}
