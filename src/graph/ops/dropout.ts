/**
 * dropout(x, {p, training, seed}): in training, zeroes each element with probability p and scales the rest by
 * 1 / (1 - p); the mask is a hash of (seed, element index) computed on the GPU, so the same seed gives the same
 * mask and the backward pass recomputes it instead of storing it. In evaluation, or with p = 0, the output is a
 * view of x (no copy) whose gradient passes through unchanged.
 */
import { runDropoutBackward, runDropoutForward } from '../../kernels/dropout.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

export interface DropoutOptions {
  /** Probability of dropping an element, in [0, 1]. */
  p: number;
  training: boolean;
  /** An integer in [0, 2^32); use a new one every step so each step draws a new mask. */
  seed: number;
}

export interface DropoutSaved {
  /** null: the identity (evaluation or p = 0). */
  mask: { p: number; seed: number } | null;
}

export function dropout(x: Tensor, options: DropoutOptions): Tensor {
  const { p, training, seed } = options;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new RangeError(`dropout: seed must be an integer in [0, 2^32), got ${seed}`);
  }
  if (!training || p === 0) {
    const y = new Tensor(x.storage.retain(), x.shape);
    record('dropout', [x], y, () => ({ mask: null }));
    return y;
  }
  const y = Tensor.empty(x.gpu, x.shape, 'dropout.forward:y');
  runDropoutForward(x.gpu, x.buffer, y.buffer, x.size, { p, seed });
  record('dropout', [x], y, () => ({ mask: { p, seed } }));
  return y;
}

export function dropoutBackward(saved: DropoutSaved, dy: Tensor): (Tensor | null)[] {
  if (!saved.mask) return [dy.retain()];
  const dx = Tensor.empty(dy.gpu, dy.shape, 'dropout.backward:dx');
  runDropoutBackward(dy.gpu, dy.buffer, dx.buffer, dy.size, saved.mask);
  return [dx];
}
