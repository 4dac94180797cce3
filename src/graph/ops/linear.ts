// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type LinearSaved = Record<string, never>;
export function linearBackward(_saved: LinearSaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('linear: not written yet');
}
