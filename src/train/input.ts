/**
 * Gray batches in [0, 1] ([N, 1, H, W], from the data loader) turned into what a model expects: replicated to
 * three channels for ImageNet backbones and normalised per channel with the source's mean and std.
 */
import type { InputSpec } from '../models/classifier.js';

export function toModelInput(gray: Float32Array, count: number, spec: InputSpec): Float32Array {
  const plane = spec.height * spec.width;
  if (gray.length !== count * plane) {
    throw new RangeError(`batch of ${gray.length} values is not ${count} images of ${spec.height}x${spec.width}`);
  }
  const identity = spec.channels === 1 && spec.mean[0] === 0 && spec.std[0] === 1;
  if (identity) return gray;
  const out = new Float32Array(count * spec.channels * plane);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < spec.channels; c++) {
      const mean = spec.mean[c]!;
      const inv = 1 / spec.std[c]!;
      const src = n * plane;
      const dst = (n * spec.channels + c) * plane;
      for (let p = 0; p < plane; p++) out[dst + p] = (gray[src + p]! - mean) * inv;
    }
  }
  return out;
}
