/**
 * addRelu(a, b) = max(a + b, 0) for tensors of one shape: a residual block's sum and ReLU in one pass (one read of the
 * sum fewer, one write fewer). The gradient of both inputs is dy where the output is positive, as relu(add(a, b)).
 */
import { runAddRelu } from '../../kernels/add.js';
import { runReluBackward } from '../../kernels/relu.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

export interface AddReluSaved {
  y: Tensor;
}

export function addRelu(a: Tensor, b: Tensor): Tensor {
  if (a.shape.join() !== b.shape.join()) {
    throw new RangeError(`add_relu: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
  const y = Tensor.empty(a.gpu, a.shape, 'add_relu.forward:y');
  runAddRelu(a.gpu, a.buffer, b.buffer, y.buffer, a.size);
  record('add_relu', [a, b], y, (save) => ({ y: save(y) }));
  return y;
}

export function addReluBackward(saved: AddReluSaved, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  if (!needs[0] && !needs[1]) return [null, null];
  const g = Tensor.empty(dy.gpu, dy.shape, 'add_relu.backward:dx');
  runReluBackward(dy.gpu, saved.y.buffer, dy.buffer, g.buffer, dy.size);
  if (needs[0] && needs[1]) return [g, g.retain()];
  return needs[0] ? [g, null] : [null, g];
}
