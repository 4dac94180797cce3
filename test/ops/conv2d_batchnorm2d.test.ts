import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { BatchNorm2d } from '../../src/graph/modules/batchnorm2d.js';
import { Conv2d } from '../../src/graph/modules/conv2d.js';
import { convBatchNorm } from '../../src/graph/modules/conv_batchnorm2d.js';
import { addRelu } from '../../src/graph/ops/add_relu.js';
import { batchnorm2d, batchnorm2dRelu, type Batchnorm2dState } from '../../src/graph/ops/batchnorm2d.js';
import { conv2d, conv2dGeometry, type Conv2dOptions } from '../../src/graph/ops/conv2d.js';
import { conv2dBatchnorm2dEval, conv2dBatchnorm2dEvalApplies } from '../../src/graph/ops/conv2d_batchnorm2d.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import { chooseConv2dVariant, type Conv2dGeometry } from '../../src/kernels/conv2d.js';
import { Adam } from '../../src/train/adam.js';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { WINOGRAD_KERNELS } from '../helpers/conv2d_kernels.js';
import { hardwareTestGpu, softwareTestGpu, testGpu } from '../helpers/gpu.js';

function random(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => offset + scale * (2 * rng.next() - 1));
}

/** How a forward variant that applies the batch norm as it stores runs a case: its kernels after the stats rows. */
type Fused = 'subgroup' | 'pointwise' | 'tiled' | 'tiled, K split' | 'winograd';
const FUSED_KERNELS: Record<Fused, string[]> = {
  winograd: WINOGRAD_KERNELS,
  subgroup: ['conv2d.forward_3_subgroup'],
  pointwise: ['conv2d.forward_4_pointwise'],
  tiled: ['conv2d.forward_5_tiled'],
  'tiled, K split': ['conv2d.forward_5_tiled', 'conv2d.sum_partials_affine'],
};

interface Case {
  name: string;
  x: number[];
  w: number[];
  opts: Conv2dOptions;
  bias: boolean;
  affine: boolean;
  /** What each kind of device runs (null: a variant that does not take the batch norm). */
  fused: Record<Kind, Fused | null>;
}

type Kind = 'software' | 'hardware';
const GPUS: Record<Kind, () => Promise<Gpu>> = { software: softwareTestGpu, hardware: hardwareTestGpu };

// The forward variants that apply the batch norm as they store: on a software GPU 'winograd' (3x3 at stride 1 with 16
// channels or more over 512 outputs a channel or more: its output transform applies it), 'subgroup' (other 3x3s,
// 32-channel tiles with tap sums and 16-channel ones, stride 2, a 1x1 at 56 x 56) and 'pointwise' (1x1 up to 28 x 28,
// stride 2); on a hardware GPU 'tiled' (32 channels and a K of 64 or more; K split over few pixels, summed by
// sum_partials_affine) and 'pointwise' (other 1x1s).
const CASES: Case[] = [
  { name: '3x3, 64 channels', x: [2, 16, 14, 14], w: [64, 16, 3, 3], opts: { padding: 1 }, bias: false, affine: true,
    fused: { software: 'subgroup', hardware: 'tiled, K split' } },
  { name: '3x3 over 576 outputs', x: [1, 16, 24, 24], w: [32, 16, 3, 3], opts: { padding: 1 }, bias: true,
    affine: true, fused: { software: 'winograd', hardware: 'tiled, K split' } },
  { name: '3x3, 24 channels, bias', x: [1, 8, 9, 11], w: [24, 8, 3, 3], opts: { padding: 1 }, bias: true,
    affine: true, fused: { software: 'subgroup', hardware: null } },
  { name: '3x3 stride 2', x: [1, 8, 15, 13], w: [32, 8, 3, 3], opts: { stride: 2, padding: 1 }, bias: false,
    affine: false, fused: { software: 'subgroup', hardware: 'tiled' } },
  { name: '3x3, 7 x 7', x: [1, 64, 7, 7], w: [96, 64, 3, 3], opts: { padding: 1 }, bias: true, affine: true,
    fused: { software: 'subgroup', hardware: 'tiled, K split' } },
  { name: '3x3, 2 groups', x: [1, 64, 9, 9], w: [128, 32, 3, 3], opts: { padding: 1, groups: 2 }, bias: true,
    affine: true, fused: { software: 'subgroup', hardware: 'tiled, K split' } },
  { name: '1x1, 7 x 7', x: [3, 36, 7, 7], w: [40, 36, 1, 1], opts: {}, bias: false, affine: true,
    fused: { software: 'pointwise', hardware: 'pointwise' } },
  { name: '1x1, 256 inputs', x: [1, 256, 5, 6], w: [48, 256, 1, 1], opts: {}, bias: false, affine: false,
    fused: { software: 'pointwise', hardware: 'tiled, K split' } },
  { name: '1x1 stride 2', x: [1, 32, 14, 14], w: [64, 32, 1, 1], opts: { stride: 2 }, bias: true, affine: true,
    fused: { software: 'pointwise', hardware: 'pointwise' } },
  { name: '1x1, 56 x 56', x: [1, 16, 56, 56], w: [32, 16, 1, 1], opts: {}, bias: false, affine: true,
    fused: { software: 'subgroup', hardware: 'pointwise' } },
];

/** The cases each kind of device fuses, with what it runs. */
const fusedCases = (kind: Kind): [Case, Fused][] =>
  CASES.flatMap((c) => (c.fused[kind] ? [[c, c.fused[kind]] as [Case, Fused]] : []));

/** The passes a profile shows after the fills and the copies a forward reads regrouped (weights, packed inputs). */
const passesOf = (kernels: string[]): string[] =>
  kernels.filter((k) => !k.startsWith('fill.') && k !== 'conv2d.tap_major_weights' && k !== 'conv2d.pack_planes');

/**
 * The input packings a fused forward runs first: one where a software device's pointwise forward (its inputs loaded
 * first, planes up to 28 x 28) cannot read each run's inputs as one vec4 (a stride, or planes not of 4k pixels).
 */
const packingsOf = (kind: Kind, fused: Fused, g: Conv2dGeometry): number =>
  kind === 'software' && fused === 'pointwise' && (g.strideH > 1 || g.strideW > 1 || (g.oh * g.ow) % 4 !== 0) ? 1 : 0;
const packings = (kernels: string[]): number => kernels.filter((k) => k === 'conv2d.pack_planes').length;

interface Problem {
  x: Tensor;
  w: Tensor;
  b: Tensor | null;
  state: Batchnorm2dState;
  all: Tensor[];
}

function problem(gpu: Gpu, c: Case, seed: number): Problem {
  const cout = c.w[0]!;
  const size = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);
  const x = Tensor.fromData(gpu, random(size(c.x), seed), c.x);
  const w = Tensor.fromData(gpu, random(size(c.w), seed + 1, 0.3), c.w);
  const b = c.bias ? Tensor.fromData(gpu, random(cout, seed + 2), [cout]) : null;
  // Running statistics far from 0 and 1, so that a missing or misplaced term shows.
  const runningMean = Tensor.fromData(gpu, random(cout, seed + 3, 0.5, 0.2), [cout]);
  const runningVar = Tensor.fromData(gpu, random(cout, seed + 4, 0.4, 1.5), [cout]);
  const weight = c.affine ? Tensor.fromData(gpu, random(cout, seed + 5, 0.8, 0.3), [cout]) : null;
  const bias = c.affine ? Tensor.fromData(gpu, random(cout, seed + 6, 0.5), [cout]) : null;
  const state = { weight, bias, runningMean, runningVar };
  const all = [x, w, b, runningMean, runningVar, weight, bias].filter((t): t is Tensor => t !== null);
  return { x, w, b, state, all };
}

const EVAL = { training: false, eps: 1e-5 };

describe('conv2d_batchnorm2d', () => {
  for (const kind of ['software', 'hardware'] as const) {
    for (const [c, fused] of fusedCases(kind)) {
      for (const relu of [false, true]) {
        it(`equals batchnorm2d${relu ? 'Relu' : ''}(conv2d) in eval mode, in the conv's pass (${c.name}, ${kind} ` +
          `GPU: ${fused})`, async () => {
          const gpu = await GPUS[kind]();
          const p = problem(gpu, c, 11);
          const g = conv2dGeometry(c.x, c.w, p.b?.shape ?? null, c.opts);
          expect(chooseConv2dVariant('forward', g, gpu)).toBe(fused.split(',')[0]);
          const yShape = [g.batch, g.cout, g.oh, g.ow];
          expect(conv2dBatchnorm2dEvalApplies(p.x, p.w, p.b, c.opts, p.state, EVAL)).toBe(true);
          const normalize = relu ? batchnorm2dRelu : batchnorm2d;
          const want = noGrad(() => tidy(() => normalize(conv2d(p.x, p.w, p.b, c.opts), p.state, EVAL)));
          gpu.startProfiling();
          const got = noGrad(() => conv2dBatchnorm2dEval(p.x, p.w, p.b, c.opts, p.state, EVAL, { relu }));
          const kernels = (await gpu.stopProfiling()).map((k) => k.name);
          // The stats rows, then the conv's kernels, nothing after them.
          expect(passesOf(kernels), kernels.join()).toEqual(['batchnorm2d.stats_running', ...FUSED_KERNELS[fused]]);
          expect(packings(kernels), kernels.join()).toBe(packingsOf(kind, fused, g));
          const gotData = await got.read();
          expectClose(`y (${c.name}, relu ${relu})`, gotData, await want.read(), yShape, { rel: 1e-5 });
          if (relu) expect(gotData.some((v) => v === 0) && gotData.some((v) => v > 0)).toBe(true);
          [got, want, ...p.all].forEach((t) => t.dispose());
        });
      }
    }

    for (const [c, fused] of fusedCases(kind)) {
      it(`ends a residual block as addRelu(batchnorm2d(conv2d), identity) would, in the conv's pass (${c.name}, ` +
        `${kind} GPU: ${fused})`, async () => {
        const gpu = await GPUS[kind]();
        const p = problem(gpu, c, 17);
        const g = conv2dGeometry(c.x, c.w, p.b?.shape ?? null, c.opts);
        const yShape = [g.batch, g.cout, g.oh, g.ow];
        const identity = Tensor.fromData(gpu, random(yShape.reduce((a, d) => a * d, 1), 19), yShape);
        const want = noGrad(() =>
          tidy(() => addRelu(batchnorm2d(conv2d(p.x, p.w, p.b, c.opts), p.state, EVAL), identity)));
        gpu.startProfiling();
        const extras = { residual: identity };
        const got = noGrad(() => conv2dBatchnorm2dEval(p.x, p.w, p.b, c.opts, p.state, EVAL, extras));
        const kernels = (await gpu.stopProfiling()).map((k) => k.name);
        expect(passesOf(kernels), kernels.join()).toEqual(['batchnorm2d.stats_running', ...FUSED_KERNELS[fused]]);
        expect(packings(kernels), kernels.join()).toBe(packingsOf(kind, fused, g));
        expectClose(`y (${c.name})`, await got.read(), await want.read(), yShape, { rel: 1e-5 });
        [got, want, identity, ...p.all].forEach((t) => t.dispose());
      });
    }
  }

  it('ends a residual block in chunks of images where Winograd\'s intermediates for the batch exceed one binding',
    async () => {
      // 16 -> 32 channels at 16 x 16: 72 KiB of intermediates an image, so under a 96 KiB binding limit each of the 3
      // images is a chunk of its own, its output and identity bound at its byte range of the whole tensors.
      const options = { poison: true, maxBindingBytes: 96 * 1024, kernelsFor: 'software' as const };
      const gpu = await Gpu.create(createNodePlatform(), options);
      try {
        const c: Case = { name: 'chunks', x: [3, 16, 16, 16], w: [32, 16, 3, 3], opts: { padding: 1 }, bias: true,
          affine: true, fused: { software: 'winograd', hardware: null } };
        const p = problem(gpu, c, 29);
        const g = conv2dGeometry(c.x, c.w, [32], c.opts);
        expect(chooseConv2dVariant('forward', g, gpu)).toBe('winograd');
        const yShape = [g.batch, g.cout, g.oh, g.ow];
        const identity = Tensor.fromData(gpu, random(yShape.reduce((a, d) => a * d, 1), 31), yShape);
        const want = noGrad(() =>
          tidy(() => addRelu(batchnorm2d(conv2d(p.x, p.w, p.b, c.opts), p.state, EVAL), identity)));
        gpu.startProfiling();
        const got = noGrad(() => conv2dBatchnorm2dEval(p.x, p.w, p.b, c.opts, p.state, EVAL, { residual: identity }));
        const kernels = (await gpu.stopProfiling()).map((k) => k.name);
        expect(kernels.filter((k) => k === 'conv2d.forward_8_winograd_output')).toHaveLength(3);
        expectClose('y (chunks)', await got.read(), await want.read(), yShape, { rel: 1e-5 });
        [got, want, identity, ...p.all].forEach((t) => t.dispose());
      } finally {
        await gpu.sync();
        gpu.destroy();
      }
    });

  it('refuses a residual of another shape, or with the batch norm\'s ReLU before the add', async () => {
    const gpu = await softwareTestGpu();
    const c = CASES[0]!;
    const p = problem(gpu, c, 23);
    const g = conv2dGeometry(c.x, c.w, null, c.opts);
    const wrong = Tensor.zeros(gpu, [g.batch, g.cout, g.oh, g.ow + 1]);
    const right = Tensor.zeros(gpu, [g.batch, g.cout, g.oh, g.ow]);
    const run = (r: Tensor, relu: boolean) => () =>
      noGrad(() => conv2dBatchnorm2dEval(p.x, p.w, p.b, c.opts, p.state, EVAL, { relu, residual: r }));
    expect(run(wrong, false)).toThrow(/must match the output/);
    expect(run(right, true)).toThrow(/ReLU after the add/);
    [wrong, right, ...p.all].forEach((t) => t.dispose());
  });

  it('applies only in eval mode, without a gradient, and a variant that takes it, and refuses otherwise', async () => {
    const gpu = await softwareTestGpu();
    const c = CASES[0]!;
    const p = problem(gpu, c, 21);
    expect(conv2dBatchnorm2dEvalApplies(p.x, p.w, p.b, c.opts, p.state, { ...EVAL, training: true })).toBe(false);
    const noRunning = { ...p.state, runningMean: null, runningVar: null };
    expect(conv2dBatchnorm2dEvalApplies(p.x, p.w, p.b, c.opts, noRunning, EVAL)).toBe(false);
    p.w.requiresGrad = true;
    expect(conv2dBatchnorm2dEvalApplies(p.x, p.w, p.b, c.opts, p.state, EVAL)).toBe(false);
    const relu = { relu: true };
    expect(() => conv2dBatchnorm2dEval(p.x, p.w, p.b, c.opts, p.state, EVAL, relu)).toThrow(/needs eval mode/);
    // Under noGrad nothing is recorded, so the weights' flag no longer matters.
    expect(noGrad(() => conv2dBatchnorm2dEvalApplies(p.x, p.w, p.b, c.opts, p.state, EVAL))).toBe(true);
    p.all.forEach((t) => t.dispose());
    // A hardware GPU's 'gemm' (fewer than 32 channels over a 3x3) does not take the batch norm.
    const hardware = await hardwareTestGpu();
    const few = CASES.find((k) => k.fused.hardware === null)!;
    const q = problem(hardware, few, 21);
    expect(chooseConv2dVariant('forward', conv2dGeometry(few.x, few.w, q.b?.shape ?? null, few.opts), hardware))
      .toBe('gemm');
    expect(conv2dBatchnorm2dEvalApplies(q.x, q.w, q.b, few.opts, q.state, EVAL)).toBe(false);
    expect(() => conv2dBatchnorm2dEval(q.x, q.w, q.b, few.opts, q.state, EVAL, relu)).toThrow(/needs eval mode/);
    q.all.forEach((t) => t.dispose());
  });

  it('runs the modules in turn in training mode, or where a module is wrapped, and fused in eval mode', async () => {
    const gpu = await testGpu();
    const ctx = { gpu, rng: createRng(5) };
    const conv = new Conv2d(ctx, 16, 64, 3, { padding: 1, bias: false });
    const bn = new BatchNorm2d(ctx, 64);
    const x = Tensor.fromData(gpu, random(2 * 16 * 14 * 14, 31), [2, 16, 14, 14]);
    // One training step moves the running statistics off their initial values.
    tidy(() => convBatchNorm(conv, bn, x, true));
    expect(bn.numBatchesTracked).toBe(1);
    conv.eval();
    bn.eval();
    const kernelsOf = async (f: () => Tensor): Promise<[string[], Float32Array]> => {
      gpu.startProfiling();
      const y = noGrad(() => tidy(f));
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      const data = await y.read();
      y.dispose();
      return [kernels, data];
    };
    const [fusedKernels, fused] = await kernelsOf(() => convBatchNorm(conv, bn, x, true));
    const [plainKernels, plain] = await kernelsOf(() => bn.forwardRelu(conv.forward(x)));
    expect(fusedKernels.some((k) => k.startsWith('batchnorm2d.normalize'))).toBe(false);
    expect(plainKernels.some((k) => k.startsWith('batchnorm2d.normalize'))).toBe(true);
    expectClose('fused against the modules', fused, plain, [2, 64, 14, 14], { rel: 1e-5 });
    // A capture wraps a module's forward on the instance: it must see the module run.
    let seen = 0;
    const own = BatchNorm2d.prototype.forward;
    Object.defineProperty(bn, 'forward', { value: (t: Tensor) => (seen++, own.call(bn, t)), configurable: true });
    const [wrappedKernels] = await kernelsOf(() => convBatchNorm(conv, bn, x, false));
    expect(wrappedKernels.some((k) => k.startsWith('batchnorm2d.normalize'))).toBe(true);
    expect(seen).toBe(1);
    expect(bn.numBatchesTracked).toBe(1);
    x.dispose();
    conv.dispose();
    bn.dispose();
  });

  it('keeps a batch norm\'s eval stats rows between forwards until its weights or running statistics are written',
    async () => {
      const gpu = await testGpu();
      const ctx = { gpu, rng: createRng(7) };
      const conv = new Conv2d(ctx, 16, 64, 3, { padding: 1, bias: false });
      const bn = new BatchNorm2d(ctx, 64);
      const x = Tensor.fromData(gpu, random(2 * 16 * 14 * 14, 41), [2, 16, 14, 14]);
      const evalMode = (): void => void [conv, bn].forEach((m) => m.eval());
      const trainMode = (): void => void [conv, bn].forEach((m) => m.train());
      // A fused forward: how many stats-row dispatches it ran, and whether it equals the modules run in turn.
      const fusedForward = async (what: string): Promise<number> => {
        gpu.startProfiling();
        const fused = noGrad(() => tidy(() => convBatchNorm(conv, bn, x, true)));
        const kernels = (await gpu.stopProfiling()).map((k) => k.name);
        expect(kernels.some((k) => k.startsWith('batchnorm2d.normalize')), what).toBe(false);
        const plain = noGrad(() => tidy(() => bn.forwardRelu(conv.forward(x))));
        expectClose(what, await fused.read(), await plain.read(), fused.shape, { rel: 1e-5 });
        [fused, plain].forEach((t) => t.dispose());
        return kernels.filter((k) => k === 'batchnorm2d.stats_running').length;
      };
      evalMode();
      expect(await fusedForward('first forward')).toBe(1);
      expect(await fusedForward('second forward')).toBe(0);
      // Each way the state changes: a host write, loadStateDict, an Adam step, a training forward.
      bn.weight!.write(random(64, 43, 0.5, 1));
      expect(await fusedForward('after weight.write')).toBe(1);
      const state = await bn.stateDict();
      state.set('running_var', { shape: [64], data: random(64, 44, 0.3, 2) });
      bn.loadStateDict(state);
      expect(await fusedForward('after loadStateDict')).toBe(1);
      expect(await fusedForward('again')).toBe(0);
      const adam = new Adam(new Map([['bias', bn.bias!]]), { lr: 0.1 });
      bn.bias!.grad = Tensor.fromData(gpu, random(64, 45), [64]);
      adam.step();
      expect(await fusedForward('after an Adam step')).toBe(1);
      trainMode();
      tidy(() => void convBatchNorm(conv, bn, x, true));
      evalMode();
      expect(await fusedForward('after a training forward')).toBe(1);
      adam.zeroGrad();
      adam.dispose();
      x.dispose();
      conv.dispose();
      bn.dispose();
    });
});
