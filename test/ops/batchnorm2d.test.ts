import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { batchnorm2d, type Batchnorm2dState } from '../../src/graph/ops/batchnorm2d.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import {
  BATCHNORM2D_VARIANTS,
  CHUNK,
  COEF_ROWS,
  STATS_ROWS,
  runBatchnorm2dBackwardInput,
  runBatchnorm2dBackwardSums,
  runBatchnorm2dBatchStats,
  runBatchnorm2dNormalize,
} from '../../src/kernels/batchnorm2d.js';
import type { Gpu } from '../../src/runtime/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { hardwareTestGpu, testGpu } from '../helpers/gpu.js';

interface Attrs {
  training: boolean;
  momentum: number;
  eps: number;
  affine: boolean;
}

/** The tensors of one fixture case on the GPU; `grads` says which of x, weight, bias require a gradient. */
function upload(gpu: Gpu, c: RefCase, grads: [boolean, boolean, boolean]) {
  const t = (role: string) => Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
  const x = t('x');
  x.requiresGrad = grads[0];
  const affine = (c.attrs as unknown as Attrs).affine;
  const weight = affine ? t('w') : null;
  const bias = affine ? t('b') : null;
  if (weight) weight.requiresGrad = grads[1];
  if (bias) bias.requiresGrad = grads[2];
  const state: Batchnorm2dState = { weight, bias, runningMean: t('rm0'), runningVar: t('rv0') };
  const dy = t('dy');
  const dispose = () => [x, weight, bias, state.runningMean, state.runningVar, dy].forEach((u) => u?.dispose());
  return { x, weight, bias, state, dy, dispose };
}

const check = async (label: string, t: Tensor, c: RefCase, role: string) =>
  expectClose(`${c.name}.${label}`, await t.read(), c.t(role).data, c.t(role).shape);

describe('batchnorm2d', () => {
  for (const c of loadCases('batchnorm2d')) {
    const attrs = c.attrs as unknown as Attrs;
    const opts = { training: attrs.training, momentum: attrs.momentum, eps: attrs.eps };

    it(`matches PyTorch forward, running stats and backward (${c.name} [${c.t('x').shape}])`, async () => {
      const gpu = await testGpu();
      const u = upload(gpu, c, [true, true, true]);
      const y = tidy(() => {
        const out = batchnorm2d(u.x, u.state, opts);
        backward(out, u.dy);
        return out;
      });
      await check('y', y, c, 'y');
      await check('runningMean', u.state.runningMean!, c, 'rm1');
      await check('runningVar', u.state.runningVar!, c, 'rv1');
      await check('dx', u.x.grad!, c, 'dx');
      if (attrs.affine) {
        await check('dw', u.weight!.grad!, c, 'dw');
        await check('db', u.bias!.grad!, c, 'db');
      }
      y.dispose();
      u.dispose();
    });

    if (!attrs.training) {
      it(`matches PyTorch in eval mode without a gradient, in one normalize pass (${c.name})`, async () => {
        const gpu = await testGpu();
        const u = upload(gpu, c, [false, false, false]);
        gpu.startProfiling();
        const y = noGrad(() => batchnorm2d(u.x, u.state, opts));
        // (fill.forward: the test device poisons new tensors)
        const kernels = (await gpu.stopProfiling()).map((k) => k.name).filter((k) => k !== 'fill.forward');
        expect(kernels).toHaveLength(1);
        expect(kernels[0]).toMatch(/^batchnorm2d\.normalize_running(_1_vec4)?$/);
        await check('y', y, c, 'y');
        y.dispose();
        u.dispose();
      });
    }

    if (attrs.affine) {
      it(`computes only the gradients asked for (${c.name})`, async () => {
        const gpu = await testGpu();
        const params = upload(gpu, c, [false, true, true]);
        tidy(() => backward(batchnorm2d(params.x, params.state, opts), params.dy));
        expect(params.x.grad).toBeNull();
        await check('dw', params.weight!.grad!, c, 'dw');
        await check('db', params.bias!.grad!, c, 'db');
        params.dispose();

        const input = upload(gpu, c, [true, false, false]);
        tidy(() => backward(batchnorm2d(input.x, input.state, opts), input.dy));
        expect(input.weight!.grad).toBeNull();
        await check('dx', input.x.grad!, c, 'dx');
        input.dispose();
      });
    }
  }

  it('stays accurate over multi-chunk planes with a large mean (op, odd H*W, float64 CPU reference)', async () => {
    const gpu = await testGpu();
    const [n, ch, h, w] = [3, 5, 71, 73];
    const rng = createRng(11);
    const xs = Float32Array.from({ length: n * ch * h * w }, () => 100 + (rng.next() * 2 - 1) * (1 + rng.next()));
    const dys = Float32Array.from({ length: xs.length }, () => rng.next() * 2 - 1);
    const ws = Float32Array.from({ length: ch }, (_, i) => 0.5 + i * 0.25);
    const bs = Float32Array.from({ length: ch }, (_, i) => i * 0.1 - 0.2);
    const ref = cpuBatchnorm2d(xs, dys, ws, bs, [n, ch, h, w], 0.1, 1e-5);

    const x = Tensor.fromData(gpu, xs, [n, ch, h, w]);
    const weight = Tensor.fromData(gpu, ws, [ch]);
    const bias = Tensor.fromData(gpu, bs, [ch]);
    [x, weight, bias].forEach((t) => (t.requiresGrad = true));
    const runningMean = Tensor.zeros(gpu, [ch]);
    const runningVar = Tensor.full(gpu, [ch], 1);
    const dy = Tensor.fromData(gpu, dys, x.shape);
    const y = tidy(() => {
      const out = batchnorm2d(x, { weight, bias, runningMean, runningVar }, { training: true });
      backward(out, dy);
      return out;
    });
    expectClose('y', await y.read(), ref.y, x.shape);
    expectClose('runningMean', await runningMean.read(), ref.runningMean, [ch]);
    expectClose('runningVar', await runningVar.read(), ref.runningVar, [ch]);
    expectClose('dx', await x.grad!.read(), ref.dx, x.shape);
    expectClose('dw', await weight.grad!.read(), ref.dw, [ch]);
    expectClose('db', await bias.grad!.read(), ref.db, [ch]);
    [x, weight, bias, runningMean, runningVar, dy, y].forEach((t) => t.dispose());
  });

  // On both layouts of the streaming passes: this device's, and a hardware GPU's (wider workgroups, fewer items each).
  for (const [variant, kind] of BATCHNORM2D_VARIANTS.flatMap((v) => [[v, 'this device'], [v, 'hardware']] as const)) {
    it(`kernel variant ${variant} matches a float64 reference over multi-chunk planes (${kind} layout)`, async () => {
      const gpu = kind === 'hardware' ? await hardwareTestGpu() : await testGpu();
      const dims = [2, 3, 72, 64]; // H*W = 4608: a multiple of 4, and over one CHUNK per plane
      const shape = { n: 2, c: 3, hw: 72 * 64 };
      expect(shape.hw).toBeGreaterThan(CHUNK);
      const rng = createRng(17);
      const xs = Float32Array.from({ length: 2 * 3 * 72 * 64 }, () => -50 + rng.next() * 3);
      const dys = Float32Array.from({ length: xs.length }, () => rng.next() * 2 - 1);
      const ws = Float32Array.from([0.7, -1.3, 2]);
      const bs = Float32Array.from([0.1, 0, -0.5]);
      const ref = cpuBatchnorm2d(xs, dys, ws, bs, dims, 0.1, 1e-5);
      const [x, dy] = [xs, dys].map((d) => Tensor.fromData(gpu, d, dims));
      const [w, b] = [ws, bs].map((d) => Tensor.fromData(gpu, d, [3]));
      const runningMean = Tensor.zeros(gpu, [3]);
      const runningVar = Tensor.full(gpu, [3], 1);
      const [stats, coef, dw, db] = [[STATS_ROWS, 3], [COEF_ROWS, 3], [3], [3]].map((s) => Tensor.empty(gpu, s, 'out'));
      const [y, dx] = [0, 1].map(() => Tensor.empty(gpu, dims, 'out'));
      const running = { rm: runningMean.buffer, rv: runningVar.buffer, momentum: 0.1 };
      runBatchnorm2dBatchStats(gpu, x!.buffer, w!.buffer, b!.buffer, stats!.buffer, shape, 1e-5, variant, running);
      runBatchnorm2dNormalize(gpu, x!.buffer, stats!.buffer, y!.buffer, shape, variant);
      const sums = { training: true, reduce: true };
      runBatchnorm2dBackwardSums(
        gpu, x!.buffer, dy!.buffer, stats!.buffer, coef!.buffer, dw!.buffer, db!.buffer, shape, sums, variant,
      );
      runBatchnorm2dBackwardInput(gpu, x!.buffer, dy!.buffer, coef!.buffer, dx!.buffer, shape, variant);
      expectClose('y', await y!.read(), ref.y, dims);
      expectClose('runningMean', await runningMean.read(), ref.runningMean, [3]);
      expectClose('runningVar', await runningVar.read(), ref.runningVar, [3]);
      expectClose('dx', await dx!.read(), ref.dx, dims);
      expectClose('dw', await dw!.read(), ref.dw, [3]);
      expectClose('db', await db!.read(), ref.db, [3]);
      [x, dy, w, b, runningMean, runningVar, stats, coef, dw, db, y, dx].forEach((t) => t!.dispose());
    });
  }

  it('frees every buffer it allocates once the graph is released', async () => {
    const gpu = await testGpu();
    const x = Tensor.full(gpu, [2, 3, 6, 6], 0.5);
    x.requiresGrad = true;
    const weight = Tensor.full(gpu, [3], 1);
    weight.requiresGrad = true;
    const runningMean = Tensor.zeros(gpu, [3]);
    const runningVar = Tensor.full(gpu, [3], 1);
    const state = { weight, bias: null, runningMean, runningVar };
    const inUse = gpu.poolStats().inUse;
    for (const training of [true, false]) {
      tidy(() => backward(batchnorm2d(x, state, { training }), Tensor.full(gpu, x.shape, 1)));
      x.grad!.dispose();
      x.grad = null;
      weight.grad!.dispose();
      weight.grad = null;
      tidy(() => {
        batchnorm2d(x, state, { training }); // recorded, never differentiated: the scope frees what it saved
      });
    }
    expect(gpu.poolStats().inUse).toBe(inUse);
    [x, weight, runningMean, runningVar].forEach((t) => t.dispose());
  });

  it('is deterministic: two runs give the same bits', async () => {
    const gpu = await testGpu();
    const rng = createRng(5);
    const xs = Float32Array.from({ length: 2 * 3 * 70 * 70 }, () => rng.next() * 4 - 1);
    const x = Tensor.fromData(gpu, xs, [2, 3, 70, 70]);
    const run = async () => {
      const y = batchnorm2d(x, { weight: null, bias: null, runningMean: null, runningVar: null }, { training: true });
      const out = await y.read();
      y.dispose();
      return out;
    };
    expect(await run()).toEqual(await run());
    x.dispose();
  });

  for (const training of [true, false]) {
    it(`agrees with finite differences for x, weight and bias (${training ? 'training' : 'eval'} mode)`, async () => {
      const gpu = await testGpu();
      const rng = createRng(training ? 1 : 2);
      const shape = [2, 3, 4, 5];
      const data = Float32Array.from({ length: 2 * 3 * 4 * 5 }, () => rng.next() * 2 - 1 + 0.3);
      const runningMean = Tensor.fromData(gpu, [0.1, -0.2, 0.3], [3]);
      const runningVar = Tensor.fromData(gpu, [0.5, 1.2, 0.8], [3]);
      await gradCheck(
        gpu,
        `batchnorm2d ${training ? 'training' : 'eval'}`,
        [
          { data, shape, grad: true },
          { data: Float32Array.from([1.2, -0.7, 0.9]), shape: [3], grad: true },
          { data: Float32Array.from([0.1, 0.4, -0.3]), shape: [3], grad: true },
        ],
        (x, weight, bias) => batchnorm2d(x, { weight, bias, runningMean, runningVar }, { training, eps: 1e-3 }),
      );
      runningMean.dispose();
      runningVar.dispose();
    });
  }

  it('agrees with finite differences without affine parameters (training mode)', async () => {
    const gpu = await testGpu();
    const rng = createRng(3);
    const data = Float32Array.from({ length: 3 * 5 * 3 * 3 }, () => rng.next() * 2 - 1);
    await gradCheck(gpu, 'batchnorm2d affine=false', [{ data, shape: [3, 5, 3, 3], grad: true }], (x) =>
      batchnorm2d(x, { weight: null, bias: null, runningMean: null, runningVar: null }, { training: true }),
    );
  });

  it('rejects shapes it cannot normalise, naming them', async () => {
    const gpu = await testGpu();
    const x = Tensor.zeros(gpu, [2, 3, 4, 5]);
    const c3 = Tensor.zeros(gpu, [3]);
    const c4 = Tensor.zeros(gpu, [4]);
    const flat = Tensor.zeros(gpu, [2, 3]);
    const one = Tensor.zeros(gpu, [1, 3, 1, 1]);
    const none = { weight: null, bias: null, runningMean: null, runningVar: null };
    const train = { training: true };
    expect(() => batchnorm2d(flat, none, train)).toThrow(/expected x of shape \[N, C, H, W\], got \[2, 3\]/);
    expect(() => batchnorm2d(x, { ...none, weight: c4 }, train)).toThrow(
      /weight has shape \[4\], expected \[3\] for x of shape \[2, 3, 4, 5\]/,
    );
    expect(() => batchnorm2d(x, { ...none, bias: flat }, train)).toThrow(/bias has shape \[2, 3\], expected \[3\]/);
    expect(() => batchnorm2d(x, { ...none, runningMean: c3, runningVar: c4 }, train)).toThrow(
      /runningVar has shape \[4\], expected \[3\]/,
    );
    expect(() => batchnorm2d(x, { ...none, runningMean: c3 }, train)).toThrow(/must be given together/);
    expect(() => batchnorm2d(one, none, train)).toThrow(/more than 1 value per channel.*\[1, 3, 1, 1\]/);
    expect(() => batchnorm2d(x, none, { training: false })).toThrow(/eval mode needs runningMean/);
    [x, c3, c4, flat, one].forEach((t) => t.dispose());
  });
});

/** batch_norm in float64 on the CPU, training mode: y, running stats from (0, 1), and dx, dw, db for dy. */
function cpuBatchnorm2d(
  x: Float32Array,
  dy: Float32Array,
  w: Float32Array,
  b: Float32Array,
  [n, c, h, wd]: number[],
  momentum: number,
  eps: number,
) {
  const hw = h! * wd!;
  const m = n! * hw;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const runningMean = new Float64Array(c!);
  const runningVar = new Float64Array(c!);
  const dw = new Float64Array(c!);
  const db = new Float64Array(c!);
  const each = (k: number, fn: (i: number) => void) => {
    for (let i = 0; i < n!; i++) for (let s = 0; s < hw; s++) fn((i * c! + k) * hw + s);
  };
  for (let k = 0; k < c!; k++) {
    let sum = 0;
    each(k, (i) => (sum += x[i]!));
    const mean = sum / m;
    let m2 = 0;
    each(k, (i) => (m2 += (x[i]! - mean) ** 2));
    const invstd = 1 / Math.sqrt(m2 / m + eps);
    runningMean[k] = momentum * mean;
    runningVar[k] = 1 - momentum + (momentum * m2) / (m - 1);
    let sdy = 0;
    let sdyx = 0;
    each(k, (i) => {
      const xhat = (x[i]! - mean) * invstd;
      y[i] = xhat * w[k]! + b[k]!;
      sdy += dy[i]!;
      sdyx += dy[i]! * xhat;
    });
    dw[k] = sdyx;
    db[k] = sdy;
    each(k, (i) => {
      const xhat = (x[i]! - mean) * invstd;
      dx[i] = ((w[k]! * invstd) / m) * (m * dy[i]! - sdy - xhat * sdyx);
    });
  }
  return { y, dx, runningMean, runningVar, dw, db };
}
