// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type Avgpool2dSaved = Record<string, never>;
export function avgpool2dBackward(_saved: Avgpool2dSaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('avgpool2d: not written yet');
}
