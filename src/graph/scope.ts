/**
 * Scopes free the intermediate tensors of a step: every tensor made inside `tidy(fn)` is disposed when fn returns,
 * except the ones it returns (which move to the enclosing scope) and the ones passed to `keep`.
 *
 * A scope also owns the tape nodes recorded inside it. When it ends, the nodes behind a tensor that leaves it
 * (returned or kept: reachable through creator -> inputs -> creator ...) move to the enclosing scope, so a later
 * backward can still walk them; the others are released with what they saved, so a forward that is never
 * back-propagated (evaluation in training mode, a dropped loss, an exception mid-step) holds no memory after its
 * scope. Nodes recorded outside any scope are released only by backward.
 */
import { releaseNode, type Node } from './tape.js';
import type { Tensor } from './tensor.js';

interface Scope {
  readonly tensors: Set<Tensor>;
  readonly nodes: Set<Node>;
  /** Tensors with a graph that keep() took out of this scope: their nodes outlive it. */
  readonly kept: Tensor[];
}

const scopes: Scope[] = [];

/** Called by the Tensor constructor. */
export function track(tensor: Tensor): void {
  scopes[scopes.length - 1]?.tensors.add(tensor);
}

/** Called by record(): the innermost scope owns the node until backward or its end. */
export function trackNode(node: Node): void {
  scopes[scopes.length - 1]?.nodes.add(node);
}

/** Takes a tensor out of every scope so only an explicit dispose() frees it (parameters, gradients, state). */
export function keep<T extends Tensor>(tensor: T): T {
  untrack(tensor);
  if (tensor.creator) scopes[scopes.length - 1]?.kept.push(tensor);
  return tensor;
}

/** Takes a tensor out of every scope without keeping its graph (a node's saved handle: the node frees it). */
export function untrack<T extends Tensor>(tensor: T): T {
  for (const scope of scopes) scope.tensors.delete(tensor);
  return tensor;
}

/**
 * Frees an intermediate result before its scope ends, once the forward no longer reads it (what backward needs
 * of it, a node holds on its own handle). Only a tensor a scope owns is freed: not a kept one, nor any tensor
 * outside every scope (whoever made it there frees it).
 */
export function disposeIntermediate(tensor: Tensor): void {
  for (const scope of scopes) {
    if (scope.tensors.delete(tensor)) {
      tensor.dispose();
      return;
    }
  }
}

type Tensors = Tensor | readonly Tensors[] | { readonly [key: string]: Tensors } | void | number | null | undefined;

export function tidy<T extends Tensors>(fn: () => T): T {
  const scope: Scope = { tensors: new Set(), nodes: new Set(), kept: [] };
  scopes.push(scope);
  let result: T | undefined;
  try {
    result = fn();
    return result;
  } finally {
    scopes.pop();
    end(scope, result);
  }
}

/** Moves what leaves the scope to the enclosing one and frees the rest (also when fn threw: then nothing leaves). */
function end(scope: Scope, result: unknown): void {
  const parent = scopes[scopes.length - 1];
  const returned = new Set<Tensor>();
  collect(result, returned);
  const survivors = graphOf([...returned, ...scope.kept], scope.nodes);
  for (const node of scope.nodes) {
    if (survivors.has(node)) parent?.nodes.add(node);
    else releaseNode(node);
  }
  parent?.kept.push(...scope.kept);
  for (const tensor of scope.tensors) {
    if (returned.has(tensor)) parent?.tensors.add(tensor);
    else tensor.dispose();
  }
}

/** The nodes of `owned` that `roots` depend on. Older nodes (an enclosing scope's) end the walk: theirs came before. */
function graphOf(roots: readonly Tensor[], owned: Set<Node>): Set<Node> {
  const reached = new Set<Node>();
  const stack: Node[] = [];
  const visit = (node: Node | null): void => {
    if (node && owned.has(node) && !reached.has(node)) {
      reached.add(node);
      stack.push(node);
    }
  };
  roots.forEach((t) => visit(t.creator));
  while (stack.length > 0) for (const input of stack.pop()!.inputs) visit(input?.creator ?? null);
  return reached;
}

function collect(value: unknown, into: Set<Tensor>): void {
  if (value === null || typeof value !== 'object') return;
  if (isTensor(value)) into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collect(v, into));
  else Object.values(value).forEach((v) => collect(v, into));
}

function isTensor(value: object): value is Tensor {
  return (value as { isTensor?: boolean }).isTensor === true;
}
