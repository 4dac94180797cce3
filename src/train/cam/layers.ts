/**
 * Which layer a map reads, by its PyTorch module path ("branches", "layer4", "features.28", "branches.2.conv"),
 * and how its output is captured: the module instance's forward is wrapped for one pass and restored afterwards.
 * A container without a forward of its own (CNN-X's "branches", a ModuleList) is captured through the model's
 * features(x) when it is the model's default layer. The walker is local to CAM: it needs only namedChildren().
 */
import { Linear } from '../../graph/modules/linear.js';
import type { Module } from '../../graph/modules/module.js';
import type { Tensor } from '../../graph/tensor.js';
import type { Classifier } from '../../models/classifier.js';
import { Cnnx } from '../../models/cnnx.js';

/** A map that cannot be made as asked (unknown layer or class, wrong head); the message says what is valid. */
export class CamError extends Error {
  override name = 'CamError';
}

/** A model that names its own default CAM layer, or exposes the features its head reads. */
interface CamAware {
  camLayer?: unknown;
  features?: unknown;
}

/** Path of the feature map the model's head reads: CAM's layer and Grad-CAM's default. */
export function defaultCamLayer(model: Classifier): string {
  const named = (model as unknown as CamAware).camLayer;
  if (typeof named === 'string') return named;
  if (model instanceof Cnnx) return 'branches';
  if (typeof (model as unknown as CamAware).features === 'function') return 'features';
  throw new CamError(`${model.constructor.name} has no features(x) and names no camLayer; pass --layer with a module path`);
}

/** Every module path of the tree, parents before children, in registration order. */
export function modulePaths(root: Module): string[] {
  const out: string[] = [];
  const walk = (module: Module, prefix: string): void => {
    for (const [name, child] of module.namedChildren()) {
      const path = prefix ? `${prefix}.${name}` : name;
      out.push(path);
      walk(child, path);
    }
  };
  walk(root, '');
  return out;
}

/** The module at a dotted path; an unknown path is a CamError listing the valid paths near it. */
export function findModuleByPath(root: Module, path: string): Module {
  let module = root;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const child = module.namedChildren().get(parts[i]!);
    if (!child) throw new CamError(unknownPathMessage(root, module, parts.slice(0, i).join('.'), path));
    module = child;
  }
  return module;
}

function unknownPathMessage(root: Module, parent: Module, parentPath: string, path: string): string {
  const children = [...parent.namedChildren().keys()].map((name) => (parentPath ? `${parentPath}.${name}` : name));
  const where = parentPath ? `"${parentPath}" (${parent.constructor.name})` : `the model (${root.constructor.name})`;
  const lines = [`unknown layer "${path}"`];
  lines.push(children.length > 0 ? `  ${where} has: ${children.join(', ')}` : `  ${where} has no sub-modules`);
  const close = modulePaths(root)
    .map((p) => ({ p, d: editDistance(p, path) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, 6)
    .map((c) => c.p);
  lines.push(`  closest paths: ${close.join(', ')}`);
  return lines.join('\n');
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
  /** Puts the original forward back (always call, in a finally). */
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
    outputs.push(y);
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
    },
  };
}

function captureTarget(model: Classifier, layer: string): { owner: object; key: string } {
  const hasFeatures = typeof (model as unknown as CamAware).features === 'function';
  const isDefault = layer === defaultCamLayer(model);
  if (layer === 'features' && isDefault && hasFeatures && !model.namedChildren().has('features')) {
    return { owner: model, key: 'features' };
  }
  const module = findModuleByPath(model, layer);
  if (typeof (module as unknown as { forward?: unknown }).forward === 'function') return { owner: module, key: 'forward' };
  if (isDefault && hasFeatures) return { owner: model, key: 'features' };
  const children = [...module.namedChildren().keys()].map((name) => `${layer}.${name}`);
  throw new CamError(
    `layer "${layer}" (${module.constructor.name}) has no forward of its own; pick one of its children: ${children.join(', ')}`,
  );
}

/** The linear layer that makes the logits: the model's `fc` or `classifier` when linear, else its last Linear. */
export function findLinearHead(model: Classifier): { path: string; linear: Linear } {
  const named = model as unknown as Record<string, unknown>;
  for (const key of ['fc', 'classifier']) {
    if (named[key] instanceof Linear) return { path: key, linear: named[key] };
  }
  let found: { path: string; linear: Linear } | null = null;
  for (const path of modulePaths(model)) {
    const module = findModuleByPath(model, path);
    if (module instanceof Linear) found = { path, linear: module };
  }
  if (!found) throw new CamError(`${model.constructor.name} has no linear head; CAM needs one (use --method gradcam)`);
  return found;
}
