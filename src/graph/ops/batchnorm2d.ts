// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type Batchnorm2dSaved = Record<string, never>;
export function batchnorm2dBackward(_saved: Batchnorm2dSaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('batchnorm2d: not written yet');
}
