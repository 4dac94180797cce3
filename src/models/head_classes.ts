/** The number of classes a weights file's head predicts, read off the first head weight's leading dimension. */
import type { WeightMap } from '../io/weight_tensor.js';
import type { ModelEntry } from './registry.js';

export function headClasses(entry: ModelEntry, weights: WeightMap): number | undefined {
  const prefixes = entry.headPrefixes ?? (entry.name === 'cnnx' ? ['fc.'] : []);
  for (const [key, t] of weights) {
    if (key.endsWith('weight') && prefixes.some((p) => key.startsWith(p)) && t.shape.length >= 2) return t.shape[0];
  }
  return undefined;
}
