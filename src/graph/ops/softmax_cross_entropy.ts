/**
 * softmaxCrossEntropy(logits [N, C], labels [N]) = mean over the batch of -log softmax(logits)[i, label_i], the
 * training loss, as a scalar tensor (shape []). Labels are class indices stored as f32 and never get a gradient;
 * one that is not an integer in [0, C) makes the loss NaN (checked on the GPU, the labels are not read back).
 * Gradient: d logits = (softmax - onehot) * dy / N, with the scalar dy read on the GPU. Saves the probabilities
 * and the labels. `softmax` gives the per-row probabilities for prediction, without recording.
 */
import {
  runSoftmax,
  runSoftmaxCrossEntropyBackward,
  runSoftmaxCrossEntropyForward,
} from '../../kernels/softmax_cross_entropy.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

export interface SoftmaxCrossEntropySaved {
  probs: Tensor;
  labels: Tensor;
}

export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const [n, c] = checkLogits('softmaxCrossEntropy', logits);
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new RangeError(
      `softmaxCrossEntropy: labels must be [${n}] (one class index per row of logits [${logits.shape.join(', ')}]), ` +
        `got [${labels.shape.join(', ')}]`,
    );
  }
  if (labels.requiresGrad) throw new Error('softmaxCrossEntropy: labels are class indices and cannot require a gradient');
  const gpu = logits.gpu;
  const probs = Tensor.empty(gpu, [n, c], 'softmax_cross_entropy.forward:probs');
  const loss = Tensor.empty(gpu, [], 'softmax_cross_entropy.forward:loss');
  runSoftmaxCrossEntropyForward(gpu, logits.buffer, labels.buffer, probs.buffer, loss.buffer, n, c);
  record('softmax_cross_entropy', [logits, labels], loss, (save) => ({ probs: save(probs), labels: save(labels) }));
  probs.dispose();
  return loss;
}

export function softmaxCrossEntropyBackward(
  saved: SoftmaxCrossEntropySaved,
  dy: Tensor,
  needs: readonly boolean[],
): (Tensor | null)[] {
  if (!needs[0]) return [null, null];
  const [n, c] = saved.probs.shape as [number, number];
  const dx = Tensor.empty(dy.gpu, [n, c], 'softmax_cross_entropy.backward:dx');
  runSoftmaxCrossEntropyBackward(dy.gpu, saved.probs.buffer, saved.labels.buffer, dy.buffer, dx.buffer, n, c);
  return [dx, null];
}

/** Per-row probabilities softmax(logits) [N, C], for prediction; records nothing. */
export function softmax(logits: Tensor): Tensor {
  const [n, c] = checkLogits('softmax', logits);
  const probs = Tensor.empty(logits.gpu, [n, c], 'softmax_cross_entropy.softmax:probs');
  runSoftmax(logits.gpu, logits.buffer, probs.buffer, n, c);
  return probs;
}

function checkLogits(op: string, logits: Tensor): [number, number] {
  if (logits.shape.length !== 2 || logits.shape[0] === 0 || logits.shape[1] === 0) {
    throw new RangeError(`${op}: logits must be [N, C] with N, C >= 1, got [${logits.shape.join(', ')}]`);
  }
  return logits.shape as [number, number];
}
