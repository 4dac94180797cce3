// PLACEHOLDER (scaffolding while the op is being written; replace the whole file).
import type { Tensor } from '../tensor.js';
export type SoftmaxCrossEntropySaved = Record<string, never>;
export function softmaxCrossEntropyBackward(_saved: SoftmaxCrossEntropySaved, _dy: Tensor, _needs: readonly boolean[]): (Tensor | null)[] {
  throw new Error('softmax_cross_entropy: not written yet');
}
