// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type Maxpool2dSaved = Record<string, never>;
export function maxpool2dBackward(_saved: Maxpool2dSaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('maxpool2d: not written yet');
}
