/**
 * Builds a model for a command: from a checkpoint (its recorded model, config and class names) or a plain weights
 * file (safetensors or .pth; classes numbered), checked against the model with every misfit listed at once.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRng } from '../data/prng.js';
import { WeightFileError } from '../io/weight_file_error.js';
import { readWeights } from '../io/weights.js';
import type { WeightMap } from '../io/weight_tensor.js';
import type { Classifier } from '../models/classifier.js';
import { headClasses } from '../models/head_classes.js';
import { modelEntry, type ModelOptions } from '../models/registry.js';
import type { Gpu } from '../runtime/gpu.js';
import { decodeCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { UsageError } from './errors.js';

export interface LoadedModel {
  model: Classifier;
  classNames: string[];
  checkpoint: Checkpoint;
}

export function readCheckpointFile(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new WeightFileError(path, 'is a folder, expected a weights file');
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof WeightFileError) throw error;
    throw new WeightFileError(path, `cannot read weights file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const file = readWeights(bytes, path);
  return decodeCheckpoint(file.tensors, file.metadata, path);
}

/** `checkpoint` defaults to reading weightsPath; a command reads it before opening the GPU to refuse a bad file sooner. */
export function loadModel(
  gpu: Gpu,
  name: string,
  weightsPath: string,
  options: ModelOptions = {},
  checkpoint: Checkpoint = readCheckpointFile(weightsPath),
): LoadedModel {
  const meta = checkpoint.meta;
  if (meta && meta.model !== name) {
    throw new UsageError(`${weightsPath}: holds a "${meta.model}" model, not "${name}" (use --model ${meta.model})`);
  }
  const entry = modelEntry(name);
  let model: Classifier;
  try {
    model = entry.build({ gpu, rng: createRng(0) }, meta ? {} : { ...inferOptions(name, checkpoint.model), ...options }, meta?.modelConfig);
  } catch (error) {
    // The config came from the file (recorded, or read off its head's shape), so the file is at fault.
    if (error instanceof RangeError) throw new WeightFileError(weightsPath, `cannot build a "${name}" model for it (${error.message})`);
    throw error;
  }
  try {
    // A plain file is spelled as its source spells it (old DenseNet names, aux heads): map it as import does.
    if (meta) model.loadStateDict(checkpoint.model);
    else model.loadStateDict(entry.renameKeys ? entry.renameKeys(checkpoint.model, model) : checkpoint.model);
  } catch (error) {
    model.dispose();
    if (error instanceof Error) error.message = `${weightsPath}: ${error.message}`;
    throw error;
  }
  const classNames = meta?.classNames.length === model.numClasses
    ? meta.classNames
    : Array.from({ length: model.numClasses }, (_, i) => `class${i}`);
  return { model, classNames, checkpoint };
}

/** Classes (and for CNN-X the input size) read off the head of a weights file without metadata. */
function inferOptions(name: string, weights: WeightMap): ModelOptions {
  if (name === 'cnnx') {
    const fc = weights.get('fc.weight');
    if (!fc || fc.shape.length !== 2) return {};
    const side = Math.round(Math.sqrt(fc.shape[1]! / 64));
    return { numClasses: fc.shape[0], inputSize: (side - 1) * 3 + 2 };
  }
  const numClasses = headClasses(modelEntry(name), weights);
  return numClasses ? { numClasses } : {};
}
