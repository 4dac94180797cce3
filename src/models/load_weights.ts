/**
 * Loads the weights file a user has (torchvision's or timm's ImageNet weights, or any state dict of the same
 * model) into a freshly built model, as transfer learning needs: the entry's key renaming, batch norm's
 * num_batches_tracked set to 0 where a file predates it (PyTorch's own upgrade of version-1 BatchNorm state), and,
 * when the file's head does not fit the model (other classes), everything except the head, which keeps its initial
 * values. Any other misfit throws a StateDictError listing every problem.
 */
import { StateDictError, fitsShape, type KeyShape } from '../graph/modules/module.js';
import type { WeightMap } from '../io/weight_tensor.js';
import type { Classifier } from './classifier.js';
import type { ModelEntry } from './registry.js';

export interface LoadedWeights {
  /** True when the file's head did not fit and the model kept its own. */
  headSkipped: boolean;
  /** Keys the model kept its own values for (the head's, when skipped). */
  kept: string[];
}

export function loadWeights(entry: ModelEntry, model: Classifier, file: WeightMap): LoadedWeights {
  const map = upgradeBatchNormState(entry.renameKeys ? entry.renameKeys(file, model) : file, model);
  const heads = entry.headPrefixes ?? [];
  const isHead = (key: string): boolean => heads.some((p) => key.startsWith(p));
  const own = modelShapes(model);
  const headMisfits = [...own].some(([key, shape]) => {
    const got = map.get(key);
    return isHead(key) && got !== undefined && !fitsShape(shape, got);
  });
  if (!headMisfits) {
    model.loadStateDict(map);
    return { headSkipped: false, kept: [] };
  }
  const body: WeightMap = new Map([...map].filter(([key]) => !isHead(key)));
  const kept = [...own.keys()].filter(isHead);
  const missing: KeyShape[] = [...own].filter(([key]) => !isHead(key) && !body.has(key)).map(([name, shape]) => ({ name, shape }));
  const unexpected: KeyShape[] = [...body].filter(([key]) => !own.has(key)).map(([name, t]) => ({ name, shape: [...t.shape] }));
  if (missing.length + unexpected.length > 0) {
    throw new StateDictError(model.constructor.name, { missing, unexpected, misShaped: [] });
  }
  model.loadStateDict(body, { strict: false });
  return { headSkipped: true, kept };
}

/** Adds num_batches_tracked = 0 for every batch norm whose running_mean the file has but whose counter it lacks. */
export function upgradeBatchNormState(map: WeightMap, model: Classifier): WeightMap {
  const out: WeightMap = new Map(map);
  for (const key of model.namedBuffers().keys()) {
    if (!key.endsWith('num_batches_tracked') || out.has(key)) continue;
    const prefix = key.slice(0, -'num_batches_tracked'.length);
    if (out.has(`${prefix}running_mean`)) out.set(key, { shape: [], data: new Float32Array(1) });
  }
  return out;
}

/** Shapes of every state-dict entry of the model, by name (num_batches_tracked as []). */
function modelShapes(model: Classifier): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [key, t] of model.namedParameters()) shapes.set(key, [...t.shape]);
  for (const [key, t] of model.namedBuffers()) shapes.set(key, typeof t === 'number' ? [] : [...t.shape]);
  return shapes;
}
