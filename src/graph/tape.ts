/**
 * Recording for reverse mode: an op that may need a gradient records a Node with its inputs and the tensors its
 * backward rule needs. Nothing is recorded under noGrad() or when no input requires a gradient.
 */
import type { OpName, OpSaved } from './gradients.js';
import { trackNode, untrack } from './scope.js';
import type { Tensor } from './tensor.js';

export interface Node<K extends OpName = OpName> {
  readonly op: K;
  /** The input objects, for the graph's shape; their data is only kept through `saved`. */
  readonly inputs: readonly (Tensor | null)[];
  readonly saved: OpSaved[K];
  /** Handles taken by save(), owned by the node alone (no scope frees them); disposed once backward has used them. */
  readonly savedTensors: Tensor[];
  released: boolean;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording anything (inference, evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/** Whether an op with these inputs must record a node. */
export function needsGrad(inputs: readonly (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Links `output` to a new node when a gradient may be needed. `makeSaved` is only called then; it keeps what
 * backward needs through `save`, which takes a handle of its own so the caller may dispose its tensors. The node
 * belongs to the innermost tidy() scope (see scope.ts) until backward releases it.
 */
export function record<K extends OpName>(
  op: K,
  inputs: readonly (Tensor | null)[],
  output: Tensor,
  makeSaved: (save: (t: Tensor) => Tensor) => OpSaved[K],
): void {
  if (!needsGrad(inputs)) return;
  const savedTensors: Tensor[] = [];
  const save = (t: Tensor): Tensor => {
    const handle = untrack(t.retain());
    savedTensors.push(handle);
    return handle;
  };
  const node: Node<K> = { op, inputs: [...inputs], saved: makeSaved(save), savedTensors, released: false };
  output.requiresGrad = true;
  output.creator = node as unknown as Node;
  trackNode(output.creator);
}

/** Frees what a node kept for backward. */
export function releaseNode(node: Node): void {
  if (node.released) return;
  node.released = true;
  for (const t of node.savedTensors) t.dispose();
}
