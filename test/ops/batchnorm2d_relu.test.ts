import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { batchnorm2d, batchnorm2dRelu, type Batchnorm2dOptions } from '../../src/graph/ops/batchnorm2d.js';
import { relu } from '../../src/graph/ops/relu.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import type { Gpu } from '../../src/runtime/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { loadCases } from '../helpers/fixtures.js';
import { testGpu } from '../helpers/gpu.js';

/** Host data of one batch norm problem: x [n, c, h, w], per-channel w, b (null: affine = false), rm, rv, and dy. */
interface Problem {
  x: Float32Array;
  shape: number[];
  w: Float32Array | null;
  b: Float32Array | null;
  rm: Float32Array;
  rv: Float32Array;
  dy: Float32Array;
}

interface Result {
  y: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  dx: Float32Array;
  dw: Float32Array | null;
  db: Float32Array | null;
}

/** Runs f forward and backward on fresh GPU copies of the problem and reads everything back. */
async function run(gpu: Gpu, p: Problem, opts: Batchnorm2dOptions, f: typeof batchnorm2d): Promise<Result> {
  const c = p.shape[1]!;
  const x = Tensor.fromData(gpu, p.x, p.shape, 'x');
  x.requiresGrad = true;
  const weight = p.w ? Tensor.fromData(gpu, p.w, [c], 'w') : null;
  const bias = p.b ? Tensor.fromData(gpu, p.b, [c], 'b') : null;
  [weight, bias].forEach((t) => t && (t.requiresGrad = true));
  const runningMean = Tensor.fromData(gpu, p.rm, [c], 'rm');
  const runningVar = Tensor.fromData(gpu, p.rv, [c], 'rv');
  const dy = Tensor.fromData(gpu, p.dy, p.shape, 'dy');
  const y = tidy(() => {
    const out = f(x, { weight, bias, runningMean, runningVar }, opts);
    backward(out, dy);
    return out;
  });
  const result = {
    y: await y.read(),
    runningMean: await runningMean.read(),
    runningVar: await runningVar.read(),
    dx: await x.grad!.read(),
    dw: weight ? await weight.grad!.read() : null,
    db: bias ? await bias.grad!.read() : null,
  };
  [x, weight, bias, runningMean, runningVar, dy, y, x.grad, weight?.grad, bias?.grad].forEach((t) => t?.dispose());
  return result;
}

const unfused = (x: Tensor, state: Parameters<typeof batchnorm2d>[1], opts: Batchnorm2dOptions) =>
  relu(batchnorm2d(x, state, opts));

/** The batch norm output before the ReLU, from the unfused op (no gradient). */
async function preActivation(gpu: Gpu, p: Problem, opts: Batchnorm2dOptions): Promise<Float32Array> {
  const c = p.shape[1]!;
  const ts = [p.x, p.w, p.b, p.rm, p.rv].map((d, i) => (d ? Tensor.fromData(gpu, d, i === 0 ? p.shape : [c]) : null));
  const [x, weight, bias, runningMean, runningVar] = ts;
  const y = batchnorm2d(x!, { weight, bias, runningMean, runningVar }, opts);
  const out = await y.read();
  [...ts, y].forEach((t) => t?.dispose());
  return out;
}

/**
 * The fused op against relu(batchnorm2d) in the same run (rel err <= 1e-6), and the ReLU's gradient exactly 0 where
 * the pre-activation is <= 0: replacing dy there by large values changes no gradient bit.
 */
async function checkFused(gpu: Gpu, label: string, p: Problem, opts: Batchnorm2dOptions): Promise<void> {
  const want = await run(gpu, p, opts, unfused);
  const got = await run(gpu, p, opts, batchnorm2dRelu);
  const c = p.shape[1]!;
  const close = (role: string, g: Float32Array | null, w: Float32Array | null, shape: number[]) => {
    expect(g === null, `${label}.${role}: present`).toBe(w === null);
    if (g && w) expectClose(`${label}.${role}`, g, w, shape, { rel: 1e-6 });
  };
  close('y', got.y, want.y, p.shape);
  close('runningMean', got.runningMean, want.runningMean, [c]);
  close('runningVar', got.runningVar, want.runningVar, [c]);
  close('dx', got.dx, want.dx, p.shape);
  close('dw', got.dw, want.dw, [c]);
  close('db', got.db, want.db, [c]);

  const pre = await preActivation(gpu, p, opts);
  const dead = pre.reduce((n, v) => n + (v <= 0 ? 1 : 0), 0);
  expect(dead, `${label}: some pre-activations are <= 0`).toBeGreaterThan(0);
  pre.forEach((v, i) => {
    if (v <= 0) expect(got.y[i], `${label}: y where y_pre <= 0`).toBe(0);
  });
  const rng = createRng(23);
  const loud = Float32Array.from(p.dy, (d, i) => (pre[i]! <= 0 ? 1e3 * (rng.next() * 2 - 1) : d));
  const masked = await run(gpu, { ...p, dy: loud }, opts, batchnorm2dRelu);
  expect(masked.dx, `${label}: dx depends on dy where y_pre <= 0`).toEqual(got.dx);
  expect(masked.dw, `${label}: dw depends on dy where y_pre <= 0`).toEqual(got.dw);
  expect(masked.db, `${label}: db depends on dy where y_pre <= 0`).toEqual(got.db);
  if (!opts.training) {
    // With running statistics dx = scale * masked dy: exactly 0 wherever the ReLU is off.
    pre.forEach((v, i) => {
      if (v <= 0) expect(Math.abs(got.dx[i]!), `${label}: eval dx where y_pre <= 0`).toBe(0);
    });
  }
}

describe('batchnorm2d_relu', () => {
  for (const c of loadCases('batchnorm2d')) {
    const attrs = c.attrs as { training: boolean; momentum: number; eps: number; affine: boolean };
    const opts = { training: attrs.training, momentum: attrs.momentum, eps: attrs.eps };
    it(`equals relu(batchnorm2d) forward and backward (${c.name} [${c.t('x').shape}])`, async () => {
      const gpu = await testGpu();
      const p: Problem = {
        x: c.t('x').data,
        shape: c.t('x').shape,
        w: attrs.affine ? c.t('w').data : null,
        b: attrs.affine ? c.t('b').data : null,
        rm: c.t('rm0').data,
        rv: c.t('rv0').data,
        dy: c.t('dy').data,
      };
      await checkFused(gpu, c.name, p, opts);
    });
    if (!attrs.training) {
      it(`equals relu of PyTorch's batch norm in eval mode without a gradient, in one pass (${c.name})`, async () => {
        const gpu = await testGpu();
        const t = (role: string) => Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
        const [x, rm, rv] = [t('x'), t('rm0'), t('rv0')];
        const [w, b] = attrs.affine ? [t('w'), t('b')] : [null, null];
        gpu.startProfiling();
        const y = noGrad(() => batchnorm2dRelu(x, { weight: w, bias: b, runningMean: rm, runningVar: rv }, opts));
        const kernels = (await gpu.stopProfiling()).map((k) => k.name).filter((k) => k !== 'fill.forward'); // (poisoning)
        expect(kernels).toEqual([expect.stringMatching(/^batchnorm2d\.normalize_running_relu(_1_vec4)?$/)]);
        const want = c.t('y').data.map((v) => Math.max(v, 0));
        expectClose('y', await y.read(), want, c.t('y').shape);
        [x, rm, rv, w, b, y].forEach((u) => u?.dispose());
      });
    }
  }

  // Exact zeros of y_pre = (x - mean) * scale + beta: bias 0 and x equal to the mean the op uses (the running mean
  // in eval mode; in training mode a constant channel, whose batch mean is exact), for scalar and vec4 shapes.
  for (const training of [false, true]) {
    for (const [h, w] of [[3, 5], [4, 4]] as const) {
      const mode = training ? 'training' : 'eval';
      it(`gives gradient 0 at exact zeros of the pre-activation (${mode}, ${h}x${w})`, async () => {
        const gpu = await testGpu();
        const [n, c] = [3, 3];
        const shape = [n, c, h, w];
        const rng = createRng(31 + h);
        const rm = Float32Array.from([0.25, -0.5, 0]);
        const x = Float32Array.from({ length: n * c * h * w }, (_, i) => {
          const ch = Math.floor(i / (h * w)) % c;
          if (training && ch === 0) return 1.5; // constant channel: xc = 0 everywhere
          return i % 3 === 0 ? rm[ch]! : rng.next() * 2 - 1; // every third element at the running mean
        });
        const p: Problem = {
          x,
          shape,
          w: Float32Array.from([1.3, -0.8, 2]),
          b: Float32Array.from([0, 0, 0]),
          rm,
          rv: Float32Array.from([0.7, 1.1, 0.9]),
          dy: Float32Array.from(x, () => rng.next() * 2 - 1),
        };
        const opts = { training, eps: 1e-5 };
        const pre = await preActivation(gpu, p, opts);
        const zeros = pre.reduce((k, v) => k + (v === 0 ? 1 : 0), 0);
        expect(zeros).toBeGreaterThanOrEqual(training ? h * w * n : 1);
        await checkFused(gpu, `zeros ${training ? 'training' : 'eval'} ${h}x${w}`, p, opts);
        if (training) {
          // Channel 0 is all zeros after the ReLU, so nothing reaches its parameters or its input.
          const got = await run(gpu, p, opts, batchnorm2dRelu);
          expect(got.dw![0]).toBe(0);
          expect(got.db![0]).toBe(0);
          for (let k = 0; k < n; k++) for (let s = 0; s < h * w; s++) expect(got.dx[k * c * h * w + s]).toBe(0);
        }
      });
    }
  }

  for (const training of [true, false]) {
    it(`agrees with finite differences for x, weight and bias (${training ? 'training' : 'eval'} mode)`, async () => {
      const gpu = await testGpu();
      const rng = createRng(training ? 4 : 5);
      const shape = [2, 3, 4, 5];
      const [rm, rv, w, b] = [[0.1, -0.2, 0.3], [0.5, 1.2, 0.8], [1.2, -0.7, 0.9], [0.1, 0.4, -0.3]];
      // Finite differences are wrong across the kink: in eval mode x is built from pre-activations at least 0.1 away
      // from 0 (steps move them by under 0.002); the training seed's batch statistics keep them away too.
      const data = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => {
        if (training) return rng.next() * 2 - 1 + 0.3;
        const ch = Math.floor(i / 20) % 3;
        const pre = (rng.next() < 0.5 ? -1 : 1) * (0.1 + rng.next());
        return ((pre - b[ch]!) * Math.sqrt(rv[ch]! + 1e-3)) / w[ch]! + rm[ch]!;
      });
      const runningMean = Tensor.fromData(gpu, rm, [3]);
      const runningVar = Tensor.fromData(gpu, rv, [3]);
      await gradCheck(
        gpu,
        `batchnorm2dRelu ${training ? 'training' : 'eval'}`,
        [
          { data, shape, grad: true },
          { data: Float32Array.from(w), shape: [3], grad: true },
          { data: Float32Array.from(b), shape: [3], grad: true },
        ],
        (x, weight, bias) => batchnorm2dRelu(x, { weight, bias, runningMean, runningVar }, { training, eps: 1e-3 }),
        { eps: 1e-3 },
      );
      runningMean.dispose();
      runningVar.dispose();
    });
  }

  it('frees every buffer it allocates once the graph is released', async () => {
    const gpu = await testGpu();
    const rng = createRng(9);
    const x = Tensor.fromData(gpu, Float32Array.from({ length: 2 * 3 * 6 * 6 }, () => rng.next() - 0.5), [2, 3, 6, 6]);
    x.requiresGrad = true;
    const weight = Tensor.full(gpu, [3], 1);
    weight.requiresGrad = true;
    const runningMean = Tensor.zeros(gpu, [3]);
    const runningVar = Tensor.full(gpu, [3], 1);
    const state = { weight, bias: null, runningMean, runningVar };
    const inUse = gpu.poolStats().inUse;
    for (const training of [true, false]) {
      tidy(() => backward(batchnorm2dRelu(x, state, { training }), Tensor.full(gpu, x.shape, 1)));
      x.grad!.dispose();
      x.grad = null;
      weight.grad!.dispose();
      weight.grad = null;
    }
    expect(gpu.poolStats().inUse).toBe(inUse);
    [x, weight, runningMean, runningVar].forEach((t) => t.dispose());
  });
});
