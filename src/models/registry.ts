/**
 * Models by name, as the CLI and checkpoints refer to them. Each entry builds a classifier from options (classes,
 * input size) or from the config a checkpoint recorded, and says what config to record.
 */
import type { ModuleContext } from '../graph/modules/module.js';
import type { WeightMap } from '../io/weight_tensor.js';
import { BACKBONES } from './backbones/index.js';
import type { Classifier } from './classifier.js';
import { Cnnx, CNNX_PAPER, type CnnxConfig } from './cnnx.js';

export interface ModelOptions {
  numClasses?: number;
  inputSize?: number;
  /** GoogLeNet, Inception-v3: build the auxiliary classifiers (default false). */
  aux?: boolean;
  /** GoogLeNet, Inception-v3: torchvision's transform_input (default true, as its pretrained builders set it). */
  transformInput?: boolean;
}

export interface ModelEntry {
  name: string;
  description: string;
  build(ctx: ModuleContext, options: ModelOptions, recorded?: Record<string, unknown>): Classifier;
  /** What a checkpoint records to rebuild the same model. */
  configOf(model: Classifier): Record<string, unknown>;
  /**
   * State-dict key prefixes of the classifier head ("fc.", "classifier.6."): what transfer learning leaves at its
   * initial values when a file's classes differ from the model's.
   */
  headPrefixes?: string[];
  /**
   * Maps a weight file's names to the model's before loading: old spellings (DenseNet's "norm.1"), and entries
   * the model does not build (auxiliary heads when built without them) dropped.
   */
  renameKeys?(map: WeightMap, model: Classifier): WeightMap;
}

const cnnx: ModelEntry = {
  name: 'cnnx',
  description: "CNN-X, the paper's 4-branch CNN trained from scratch (1 gray channel)",
  build(ctx, options, recorded) {
    const base = (recorded as CnnxConfig | undefined) ?? CNNX_PAPER;
    return new Cnnx(ctx, {
      ...base,
      numClasses: options.numClasses ?? base.numClasses,
      inputSize: options.inputSize ?? base.inputSize,
    });
  },
  configOf(model) {
    return { ...(model as Cnnx).config };
  },
};

const entries = new Map<string, ModelEntry>([cnnx, ...BACKBONES].map((e) => [e.name, e]));

export function registerModel(entry: ModelEntry): void {
  entries.set(entry.name, entry);
}

export function modelNames(): string[] {
  return [...entries.keys()];
}

export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
}

export function modelEntry(name: string): ModelEntry {
  const entry = entries.get(name);
  if (!entry) throw new UnknownModelError(`unknown model "${name}"; known models: ${modelNames().join(', ')}`);
  return entry;
}
