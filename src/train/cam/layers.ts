/**
 * Which layer a map reads, by its PyTorch module path ("branches", "layer4", "features.28", "branches.2.conv"),
 * and how its output is captured for one forward pass, then restored. The default layer is what the head reads:
 * the model's features(x) (CNN-X's concatenated "branches", a backbone's `camLayer`), captured by wrapping
 * that method, so it is exactly the head's input (DenseNet's features(x) adds a ReLU after the "features"
 * module). Any other path wraps that module instance's forward.
 */
import { Linear } from '../../graph/modules/linear.js';
import type { Module } from '../../graph/modules/module.js';
import { keep } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import type { Classifier } from '../../models/classifier.js';
import { Cnnx } from '../../models/cnnx.js';
import { findModule, modulePaths } from '../../models/module_path.js';

/** A map that cannot be made as asked (unknown layer or class, wrong head); the message says what is valid. */
export class CamError extends Error {
  override name = 'CamError';
}

/** A model that exposes the features its head reads, and names the module path they come from (backbones: camLayer). */
interface CamAware {
  features?: unknown;
  camLayer?: unknown;
}

/** Path of the feature map the model's head reads: CAM's layer and Grad-CAM's default. */
export function defaultCamLayer(model: Classifier): string {
  if (model instanceof Cnnx) return 'branches';
  const aware = model as unknown as CamAware;
  if (typeof aware.features !== 'function') {
    throw new CamError(`${model.constructor.name} has no features(x); pass --layer with a module path`);
  }
  return typeof aware.camLayer === 'string' ? aware.camLayer : 'features';
}

/** The module at a dotted path; an unknown path is a CamError listing the valid paths near it. */
export function findLayer(root: Module, path: string): Module {
  try {
    return findModule(root, path);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new CamError(unknownPathMessage(root, path));
  }
}

function unknownPathMessage(root: Module, path: string): string {
  const parts = path.split('.');
  let parentPath = '';
  for (let i = parts.length - 1; i > 0; i--) {
    const prefix = parts.slice(0, i).join('.');
    if (modulePaths(root).includes(prefix)) {
      parentPath = prefix;
      break;
    }
  }
  const parent = findModule(root, parentPath);
  const children = [...parent.namedChildren().keys()].map((name) => (parentPath ? `${parentPath}.${name}` : name));
  const where = parentPath ? `"${parentPath}" (${parent.constructor.name})` : `the model (${root.constructor.name})`;
  const close = modulePaths(root)
    .map((p) => ({ p, d: editDistance(p, path) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, 6)
    .map((c) => c.p);
  return [
    `unknown layer "${path}"`,
    children.length > 0 ? `  ${where} has: ${children.join(', ')}` : `  ${where} has no sub-modules`,
    `  closest paths: ${close.join(', ')}`,
  ].join('\n');
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The output of one layer during one forward pass. */
export interface LayerCapture {
  readonly layer: string;
  /** The tensor the layer returned; throws unless it ran exactly once. */
  output(): Tensor;
  /** Puts the original forward back and frees the captured output (always call, in a finally). */
  restore(): void;
}

type Forward = (x: Tensor) => Tensor;

/**
 * Wraps the forward of the module at `layer` (or the model's features() for its default container layer) so
 * the next forward pass records that layer's output; `onOutput` may mark it (requiresGrad for Grad-CAM) before
 * the rest of the network consumes it.
 */
export function captureLayer(model: Classifier, layer: string, onOutput?: (y: Tensor) => void): LayerCapture {
  const { owner, key } = captureTarget(model, layer);
  const target = owner as unknown as Record<string, unknown>;
  const hadOwn = Object.prototype.hasOwnProperty.call(target, key);
  const previous = target[key];
  const original = previous as Forward;
  const outputs: Tensor[] = [];
  target[key] = function (this: unknown, x: Tensor): Tensor {
    const y = original.call(this, x);
    onOutput?.(y);
    // Kept out of every scope: the model frees its intermediates as it goes, and this one is read afterwards.
    outputs.push(keep(y));
    return y;
  };
  return {
    layer,
    output(): Tensor {
      if (outputs.length === 0) throw new CamError(`layer "${layer}" did not run in ${model.constructor.name}'s forward pass`);
      if (outputs.length > 1) {
        throw new CamError(`layer "${layer}" ran ${outputs.length} times in one forward pass (a shared module); pick a layer that runs once`);
      }
      return outputs[0]!;
    },
    restore(): void {
      if (hadOwn) target[key] = previous;
      else delete target[key];
      outputs.forEach((t) => t.dispose());
    },
  };
}

function captureTarget(model: Classifier, layer: string): { owner: object; key: string } {
  const hasFeatures = typeof (model as unknown as CamAware).features === 'function';
  if (hasFeatures && layer === defaultCamLayer(model)) return { owner: model, key: 'features' };
  const module = findLayer(model, layer);
  if (typeof (module as unknown as { forward?: unknown }).forward === 'function') return { owner: module, key: 'forward' };
  const children = [...module.namedChildren().keys()].map((name) => `${layer}.${name}`);
  throw new CamError(
    `layer "${layer}" (${module.constructor.name}) has no forward of its own; pick one of its children: ${children.join(', ')}`,
  );
}

/**
 * The linear layer that makes the logits: the model's child `fc`, `classifier` or `classif` when it is a Linear,
 * else its last Linear (whether the head really is pooling + this layer is checked against the logits).
 */
export function findLinearHead(model: Classifier): { path: string; linear: Linear } {
  const children = model.namedChildren();
  for (const key of ['fc', 'classifier', 'classif']) {
    const child = children.get(key);
    if (child instanceof Linear) return { path: key, linear: child };
  }
  let found: { path: string; linear: Linear } | null = null;
  for (const path of modulePaths(model)) {
    const module = findModule(model, path);
    if (module instanceof Linear) found = { path, linear: module };
  }
  if (!found) throw new CamError(`${model.constructor.name} has no linear head; CAM needs one (use --method gradcam)`);
  return found;
}
