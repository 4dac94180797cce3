/**
 * Independent check of a backward rule: for random directions v, the directional derivative of
 * L(inputs) = sum(f(inputs) * r) by central differences must match <grad L, v> from backward().
 * Runs in float32 on the GPU, so the step and tolerance are those of single precision.
 */
import { expect } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import type { Gpu } from '../../src/runtime/gpu.js';
import { createRng } from '../../src/data/prng.js';

export interface GradCheckOptions {
  directions?: number;
  eps?: number;
  tol?: number;
  seed?: number;
}

/** `inputs` are host arrays with shapes; those with `grad: true` are checked. */
export async function gradCheck(
  gpu: Gpu,
  label: string,
  inputs: { data: Float32Array; shape: number[]; grad: boolean }[],
  f: (...xs: Tensor[]) => Tensor,
  options: GradCheckOptions = {},
): Promise<void> {
  const rng = createRng(options.seed ?? 7);
  const eps = options.eps ?? 1e-2;
  const tol = options.tol ?? 2e-2;

  const makeInputs = (shift?: { index: number; v: Float32Array; h: number }): Tensor[] =>
    inputs.map((input, i) => {
      const data = Float32Array.from(input.data);
      if (shift && shift.index === i) for (let k = 0; k < data.length; k++) data[k]! += shift.h * shift.v[k]!;
      const t = Tensor.fromData(gpu, data, input.shape, `gradcheck:input${i}`);
      t.requiresGrad = input.grad;
      return t;
    });

  // Fixed random weighting of the output makes L a scalar whose gradient exercises every output element.
  const probe = noGrad(() => tidy(() => f(...makeInputs())));
  const r = Float32Array.from({ length: probe.size }, () => rng.next() * 2 - 1);
  const outShape = probe.shape;
  probe.dispose();

  const loss = async (xs: Tensor[]): Promise<number> => {
    const y = noGrad(() => tidy(() => f(...xs)));
    const values = await y.read();
    y.dispose();
    xs.forEach((x) => x.dispose());
    let s = 0;
    for (let k = 0; k < values.length; k++) s += values[k]! * r[k]!;
    return s;
  };

  const xs = makeInputs();
  const rTensor = Tensor.fromData(gpu, r, outShape, 'gradcheck:r');
  tidy(() => {
    const y = f(...xs);
    backward(y, rTensor);
  });
  rTensor.dispose();

  for (let i = 0; i < inputs.length; i++) {
    if (!inputs[i]!.grad) continue;
    const grad = xs[i]!.grad;
    expect(grad, `${label}: input ${i} got no gradient`).not.toBeNull();
    const g = await grad!.read();
    for (let d = 0; d < (options.directions ?? 3); d++) {
      const v = Float32Array.from({ length: g.length }, () => rng.next() * 2 - 1);
      let analytic = 0;
      for (let k = 0; k < g.length; k++) analytic += g[k]! * v[k]!;
      const plus = await loss(makeInputs({ index: i, v, h: eps }));
      const minus = await loss(makeInputs({ index: i, v, h: -eps }));
      const numeric = (plus - minus) / (2 * eps);
      const scale = Math.max(1, Math.abs(numeric), Math.abs(analytic));
      expect(
        Math.abs(numeric - analytic) / scale,
        `${label}: input ${i} direction ${d}: finite difference ${numeric} vs backward ${analytic}`,
      ).toBeLessThan(tol);
    }
  }
  xs.forEach((x) => x.dispose());
}
