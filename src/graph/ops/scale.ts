/** scale(x, alpha) = alpha * x, without recording (used inside gradient rules and optimizers). */
import { runAdd } from '../../kernels/add.js';
import { Tensor } from '../tensor.js';

export function scale(x: Tensor, alpha: number): Tensor {
  const y = Tensor.empty(x.gpu, x.shape, 'scale:y');
  // y = 0 * x + alpha * x would read x twice; a + alpha*b with a = x and alpha - 1 does it in one pass.
  runAdd(x.gpu, x.buffer, x.buffer, y.buffer, x.size, alpha - 1);
  return y;
}
