/** relu(x) = max(x, 0); the gradient passes where the output is positive (0 at x = 0, as PyTorch). */
import { runReluBackward, runReluForward } from '../../kernels/relu.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

export interface ReluSaved {
  y: Tensor;
}

export function relu(x: Tensor): Tensor {
  const y = Tensor.empty(x.gpu, x.shape, 'relu.forward:y');
  runReluForward(x.gpu, x.buffer, y.buffer, x.size);
  record('relu', [x], y, (save) => ({ y: save(y) }));
  return y;
}

export function reluBackward(saved: ReluSaved, dy: Tensor): (Tensor | null)[] {
  const dx = Tensor.empty(dy.gpu, dy.shape, 'relu.backward:dx');
  runReluBackward(dy.gpu, saved.y.buffer, dy.buffer, dx.buffer, dy.size);
  return [dx];
}
