/**
 * Scopes free the intermediate tensors of a step: every tensor made inside `tidy(fn)` is disposed when fn returns,
 * except the ones it returns (which move to the enclosing scope) and the ones passed to `keep`.
 */
import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

/** Called by the Tensor constructor. */
export function track(tensor: Tensor): void {
  scopes[scopes.length - 1]?.add(tensor);
}

/** Takes a tensor out of every scope so only an explicit dispose() frees it (parameters, gradients, state). */
export function keep<T extends Tensor>(tensor: T): T {
  for (const scope of scopes) scope.delete(tensor);
  return tensor;
}

type Tensors = Tensor | readonly Tensors[] | { readonly [key: string]: Tensors } | void | number | null | undefined;

export function tidy<T extends Tensors>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const returned = new Set<Tensor>();
  collect(result, returned);
  for (const tensor of scope) {
    if (returned.has(tensor)) track(tensor);
    else tensor.dispose();
  }
  return result;
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
