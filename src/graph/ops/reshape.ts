/** reshape and flatten: views on the same storage (no copy); the gradient is dy viewed in the input's shape. */
import { record } from '../tape.js';
import { numel, Tensor, type Shape } from '../tensor.js';

export interface ReshapeSaved {
  inputShape: Shape;
}

export function reshape(x: Tensor, shape: Shape): Tensor {
  const resolved = resolveShape(x, shape);
  const y = new Tensor(x.storage.retain(), resolved);
  record('reshape', [x], y, () => ({ inputShape: x.shape }));
  return y;
}

/** Keeps dims before `startDim` and multiplies the rest into one (C,H,W order for NCHW). */
export function flatten(x: Tensor, startDim = 1): Tensor {
  const kept = x.shape.slice(0, startDim);
  return reshape(x, [...kept, numel(x.shape.slice(startDim))]);
}

export function reshapeBackward(saved: ReshapeSaved, dy: Tensor): (Tensor | null)[] {
  return [new Tensor(dy.storage.retain(), saved.inputShape)];
}

function resolveShape(x: Tensor, shape: Shape): number[] {
  const free = shape.indexOf(-1);
  const known = numel(shape.filter((d) => d !== -1));
  const out = [...shape];
  if (free >= 0) out[free] = known === 0 ? 0 : x.size / known;
  if (numel(out) !== x.size || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`reshape: cannot view [${x.shape.join(', ')}] as [${shape.join(', ')}]`);
  }
  return out;
}
