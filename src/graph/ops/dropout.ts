// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type DropoutSaved = Record<string, never>;
export function dropoutBackward(_saved: DropoutSaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('dropout: not written yet');
}
