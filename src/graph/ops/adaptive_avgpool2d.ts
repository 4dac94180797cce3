// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type AdaptiveAvgpool2dSaved = Record<string, never>;
export function adaptiveAvgpool2dBackward(_saved: AdaptiveAvgpool2dSaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('adaptive_avgpool2d: not written yet');
}
