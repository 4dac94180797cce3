/**
 * Checkpoints: one safetensors file holding the model's state dict under its PyTorch names (so PyTorch and
 * `predict --weights` read it as plain weights), the Adam state under `optimizer.`, and in the metadata the model
 * config, class names, epoch and the training config needed to resume.
 */
import { parseSafetensors, serializeSafetensors, WeightFileError } from '../io/safetensors.js';
import type { WeightMap } from '../io/weight_tensor.js';

export const CHECKPOINT_FORMAT = 'cnnx-checkpoint-1';
const OPTIMIZER_PREFIX = 'optimizer.';

export interface CheckpointMeta {
  /** Model name in the registry ('cnnx', 'resnet18', ...). */
  model: string;
  /** The model's own config (branches, input size, classes), enough to rebuild it. */
  modelConfig: Record<string, unknown>;
  classNames: string[];
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (Dropout masks are keyed by the global step, so a resumed run draws the same ones). */
  step: number;
  /** Everything else needed to resume the run exactly (seed, lr, batch size, data options...). */
  train?: Record<string, unknown>;
}

export interface Checkpoint {
  model: WeightMap;
  optimizer: WeightMap;
  meta: CheckpointMeta | null;
}

export function encodeCheckpoint(model: WeightMap, optimizer: WeightMap, meta: CheckpointMeta): Uint8Array {
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [...model];
  for (const [name, t] of optimizer) tensors.push([OPTIMIZER_PREFIX + name, t]);
  return serializeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    model: meta.model,
    model_config: JSON.stringify(meta.modelConfig),
    class_names: JSON.stringify(meta.classNames),
    epoch: String(meta.epoch),
    step: String(meta.step),
    ...(meta.train ? { train: JSON.stringify(meta.train) } : {}),
  });
}

/** Splits a weights file into model and optimizer tensors; plain weight files (no cnnx metadata) give meta null. */
export function decodeCheckpoint(tensors: WeightMap, metadata: Record<string, string>, source: string): Checkpoint {
  const model: WeightMap = new Map();
  const optimizer: WeightMap = new Map();
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) optimizer.set(name.slice(OPTIMIZER_PREFIX.length), t);
    else model.set(name, t);
  }
  if (metadata.format !== CHECKPOINT_FORMAT) return { model, optimizer, meta: null };
  const json = <T>(key: string): T => {
    try {
      return JSON.parse(metadata[key] ?? 'null') as T;
    } catch {
      throw new WeightFileError(source, `metadata "${key}" is not valid JSON`);
    }
  };
  const meta: CheckpointMeta = {
    model: metadata.model ?? '',
    modelConfig: json<Record<string, unknown>>('model_config') ?? {},
    classNames: json<string[]>('class_names') ?? [],
    epoch: Number(metadata.epoch ?? 0),
    step: Number(metadata.step ?? 0),
    ...(metadata.train ? { train: json<Record<string, unknown>>('train') } : {}),
  };
  return { model, optimizer, meta };
}

export function parseCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const file = parseSafetensors(bytes, source);
  return decodeCheckpoint(file.tensors, file.metadata, source);
}
