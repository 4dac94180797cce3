// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type Conv2dSaved = Record<string, never>;
export function conv2dBackward(_saved: Conv2dSaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('conv2d: not written yet');
}
