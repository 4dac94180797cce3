import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { conv2d, conv2dGeometry, type Conv2dOptions } from '../../src/graph/ops/conv2d.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import {
  CONV2D_BIAS_VARIANTS,
  CONV2D_VARIANTS,
  chooseConv2dVariant,
  conv2dVariantApplies,
  runConv2dBackwardBias,
  runConv2dBackwardInput,
  runConv2dBackwardWeight,
  runConv2dForward,
  runSumPartials,
  conv2dForwardStatsChunks,
} from '../../src/kernels/conv2d.js';
import { runBatchnorm2dBatchStats, STATS_ROWS } from '../../src/kernels/batchnorm2d.js';
import type { Conv2dGeometry, Conv2dPass, Conv2dVariant } from '../../src/kernels/conv2d.js';
import { expectClose } from '../helpers/compare.js';
import { FORWARD_KERNELS, WINOGRAD_KERNELS, weightGradientKernel } from '../helpers/conv2d_kernels.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { hardwareTestGpu, softwareTestGpu, testGpu } from '../helpers/gpu.js';

function options(c: RefCase): Conv2dOptions {
  return c.attrs as Conv2dOptions;
}

function describeCase(c: RefCase): string {
  const a = c.attrs;
  return `${c.name} x [${c.t('x').shape}] w [${c.t('w').shape}] stride ${a.stride} pad ${a.padding} ` +
    `dil ${a.dilation} groups ${a.groups}${c.has('b') ? '' : ' no bias'}`;
}

const WITH_SUBGROUPS = { hasSubgroups: true };
const HARDWARE = { hasSubgroups: true, isSoftware: false };


describe('conv2d', () => {
  // conv2d: every hyper-parameter; conv2d_tiles: batch-1 shapes at the tile edges of the subgroup variants;
  // conv2d_depthwise, conv2d_patch, conv2d_pointwise, conv2d_quads, conv2d_planes, conv2d_reduce: the edges of the
  // depthwise, patch and pointwise variants, of the 'gemm' weight gradient over pixel quads, of the 'subgroup' one
  // over planes, of the depthwise forward that reduces input channels into one output channel and of the strided
  // input gradient's subgroup kernel; conv2d_winograd: the edges of the winograd forward's 4x4 tiles.
  const fixtureSets = ['conv2d', 'conv2d_tiles', 'conv2d_depthwise', 'conv2d_patch', 'conv2d_pointwise', 'conv2d_quads',
    'conv2d_planes', 'conv2d_reduce', 'conv2d_strided', 'conv2d_winograd'];
  for (const c of fixtureSets.flatMap((set) => loadCases(set))) {
    it(`matches PyTorch forward and dx, dw, db (${describeCase(c)})`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      const w = Tensor.fromData(gpu, c.t('w').data, c.t('w').shape);
      const b = c.has('b') ? Tensor.fromData(gpu, c.t('b').data, c.t('b').shape) : null;
      for (const t of [x, w, b]) if (t) t.requiresGrad = true;
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = conv2d(x, w, b, options(c));
        backward(out, dy);
        return out;
      });
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      expectClose('dx', await x.grad!.read(), c.t('dx').data, c.t('dx').shape);
      expectClose('dw', await w.grad!.read(), c.t('dw').data, c.t('dw').shape);
      if (b) expectClose('db', await b.grad!.read(), c.t('db').data, c.t('db').shape);
      [x, w, b, dy, y].forEach((t) => t?.dispose());
    });

    // Every variant of every pass that handles the case, forced, on the same fixture; the subgroup variants are
    // listed for a device that has subgroups and skipped on one that does not.
    const geometry = conv2dGeometry(c.t('x').shape, c.t('w').shape, c.has('b') ? c.t('b').shape : null, options(c));
    for (const pass of ['forward', 'backwardInput', 'backwardWeight'] as const) {
      const variants = CONV2D_VARIANTS[pass].filter((v) => conv2dVariantApplies(pass, v, geometry, WITH_SUBGROUPS));
      for (const variant of variants) {
        it(`${pass} variant ${variant} matches PyTorch (${c.name})`, async (ctx) => {
          const gpu = await testGpu();
          if (!conv2dVariantApplies(pass, variant, geometry, gpu)) ctx.skip();
          const input = (role: string): Tensor => Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
          const out = (role: string): Tensor => Tensor.empty(gpu, c.t(role).shape, role);
          const used: Tensor[] = [];
          let result: Tensor;
          let role: string;
          if (pass === 'forward') {
            const [x, w, y] = [input('x'), input('w'), out('y')];
            const b = c.has('b') ? input('b') : null;
            runConv2dForward(gpu, x.buffer, w.buffer, b?.buffer ?? null, y.buffer, geometry, variant);
            used.push(x, w, ...(b ? [b] : []));
            [result, role] = [y, 'y'];
          } else if (pass === 'backwardInput') {
            const [dy, w, dx] = [input('dy'), input('w'), out('dx')];
            runConv2dBackwardInput(gpu, dy.buffer, w.buffer, dx.buffer, geometry, variant);
            used.push(dy, w);
            [result, role] = [dx, 'dx'];
          } else {
            // With a bias, its gradient too: in the same pass for 'gemm', by the bias kernel for the others.
            const [x, dy, dw] = [input('x'), input('dy'), out('dw')];
            const db = c.has('b') ? out('db') : null;
            runConv2dBackwardWeight(gpu, x.buffer, dy.buffer, dw.buffer, geometry, variant, db?.buffer ?? null);
            if (db) expectClose('db', await db.read(), c.t('db').data, c.t('db').shape);
            used.push(x, dy, ...(db ? [db] : []));
            [result, role] = [dw, 'dw'];
          }
          expectClose(role, await result.read(), c.t(role).data, c.t(role).shape);
          [...used, result].forEach((t) => t.dispose());
        });
      }
    }
    // The variants and tilings a hardware GPU gets (wider workgroups, the weight gradient in many more parts).
    for (const pass of ['forward', 'backwardInput', 'backwardWeight'] as const) {
      it(`${pass} as chosen for a hardware GPU matches PyTorch (${c.name})`, async () => {
        const gpu = await hardwareTestGpu();
        const input = (role: string): Tensor => Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
        const [a, b, role] = pass === 'forward' ? ['x', 'w', 'y'] : pass === 'backwardInput' ? ['dy', 'w', 'dx'] : ['x', 'dy', 'dw'];
        const [first, second] = [input(a), input(b)];
        const result = Tensor.empty(gpu, c.t(role).shape, role);
        const bias = pass === 'forward' && c.has('b') ? input('b') : null;
        const db = pass === 'backwardWeight' && c.has('b') ? Tensor.empty(gpu, c.t('db').shape, 'db') : null;
        if (pass === 'forward') runConv2dForward(gpu, first.buffer, second.buffer, bias?.buffer ?? null, result.buffer, geometry);
        else if (pass === 'backwardInput') runConv2dBackwardInput(gpu, first.buffer, second.buffer, result.buffer, geometry);
        else runConv2dBackwardWeight(gpu, first.buffer, second.buffer, result.buffer, geometry, undefined, db?.buffer ?? null);
        expectClose(role, await result.read(), c.t(role).data, c.t(role).shape);
        if (db) expectClose('db', await db.read(), c.t('db').data, c.t('db').shape);
        [first, second, result, bias, db].forEach((t) => t?.dispose());
      });
    }
    if (!c.has('b')) continue;
    const plane = geometry.oh * geometry.ow;
    for (const variant of CONV2D_BIAS_VARIANTS.filter((v) => v === 'direct' || plane % 4 === 0)) {
      it(`backwardBias variant ${variant} matches PyTorch (${c.name})`, async () => {
        const gpu = await testGpu();
        const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape, 'dy');
        const db = Tensor.empty(gpu, c.t('db').shape, 'db');
        runConv2dBackwardBias(gpu, dy.buffer, db.buffer, geometry, variant);
        expectClose('db', await db.read(), c.t('db').data, c.t('db').shape);
        [dy, db].forEach((t) => t.dispose());
      });
    }
  }

  it('adds partial sums in one pass up to 64 parts and in two past that, in a fixed order', async () => {
    const gpu = await testGpu();
    const count = 37;
    for (const parts of [1, 64, 65, 300]) {
      const data = random(parts * count, parts);
      const want = new Float32Array(count);
      for (let e = 0; e < count; e++) {
        let sum = 0;
        for (let s = 0; s < parts; s++) sum += data[s * count + e]!;
        want[e] = sum;
      }
      const partial = Tensor.fromData(gpu, data, [parts, count], 'partial');
      const out = Tensor.empty(gpu, [count], 'out');
      const before = gpu.dispatches;
      runSumPartials(gpu, partial.buffer, parts, count, out.buffer);
      expect(gpu.dispatches - before, `${parts} parts`).toBe(parts > 64 ? 2 : 1);
      expectClose(`sums of ${parts} parts`, await out.read(), want, [count]);
      const again = Tensor.empty(gpu, [count], 'again');
      runSumPartials(gpu, partial.buffer, parts, count, again.buffer);
      expect(await again.read(), 'the same sums, bit for bit').toEqual(await out.read());
      [partial, out, again].forEach((t) => t.dispose());
    }
  });

  it('sums the bias gradient over many plane chunks in every variant', async () => {
    const gpu = await testGpu();
    // 3 x 4 planes of 100 x 84 floats: the vec4 variant cuts each into 3 chunks (the last one partial).
    const g = conv2dGeometry([3, 1, 100, 84], [4, 1, 1, 1], [4]);
    const plane = g.oh * g.ow;
    const data = random(g.batch * g.cout * plane, 9);
    const want = new Float32Array(g.cout);
    for (let co = 0; co < g.cout; co++) {
      let sum = 0;
      for (let n = 0; n < g.batch; n++) for (let i = 0; i < plane; i++) sum += data[(n * g.cout + co) * plane + i]!;
      want[co] = sum;
    }
    for (const variant of CONV2D_BIAS_VARIANTS) {
      const dy = Tensor.fromData(gpu, data, [g.batch, g.cout, g.oh, g.ow], 'dy');
      const db = Tensor.empty(gpu, [g.cout], 'db');
      runConv2dBackwardBias(gpu, dy.buffer, db.buffer, g, variant);
      expectClose(`db (${variant})`, await db.read(), want, [g.cout]);
      [dy, db].forEach((t) => t.dispose());
    }
    const odd = conv2dGeometry([1, 1, 3, 3], [2, 1, 1, 1], [2]);
    const buffer = gpu.alloc(1024, 'unused');
    expect(() => runConv2dBackwardBias(gpu, buffer, buffer, odd, 'vec4')).toThrow(/needs oh\*ow % 4 == 0/);
    gpu.free(buffer);
  });

  const random = (length: number, seed: number): Float32Array => {
    const rng = createRng(seed);
    return Float32Array.from({ length }, () => rng.next() * 2 - 1);
  };

  it('tiles a large map in 64 x 64 blocks (forward_5_tiled) as the reference kernel computes it', async () => {
    const gpu = await testGpu();
    // 64 channels x 4 * 67 * 65 pixels: over 256 blocks of 64 x 64, so the 64-wide tiles run, partial at the edge.
    const g = conv2dGeometry([4, 5, 67, 65], [64, 5, 3, 3], [64], { padding: 1 });
    const [x, w, b] = [random(4 * 5 * 67 * 65, 21), random(64 * 5 * 9, 22), random(64, 23)].map((data, i) =>
      Tensor.fromData(gpu, data, [[4, 5, 67, 65], [64, 5, 3, 3], [64]][i]!));
    const run = async (variant: Conv2dVariant): Promise<Float32Array> => {
      const y = Tensor.empty(gpu, [4, 64, 67, 65], `y ${variant}`);
      gpu.startProfiling();
      runConv2dForward(gpu, x!.buffer, w!.buffer, b!.buffer, y.buffer, g, variant);
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      expect(kernels).toEqual([variant === 'tiled' ? 'conv2d.forward_5_tiled' : 'conv2d.forward']);
      const out = await y.read();
      y.dispose();
      return out;
    };
    const reference = await run('direct');
    expectClose('y (tiled, 64 x 64 blocks)', await run('tiled'), reference, [4, 64, 67, 65]);
    [x, w, b].forEach((t) => t!.dispose());
  });

  // The fast forwards bind vec4 views of x and w, read or not as their overrides say: with 2 weights (8 bytes, in a
  // pooled buffer of 256) and rows of 6 they read them as floats.
  for (const variant of ['subgroup', 'pointwise', 'depthwise'] as const) {
    it(`runs the ${variant} forward with weights under 16 bytes as the reference kernel computes it`, async (ctx) => {
      const gpu = await testGpu();
      const g = conv2dGeometry([1, 1, 5, 6], [2, 1, 1, 1], [2], {});
      if (!conv2dVariantApplies('forward', variant, g, gpu)) ctx.skip();
      const [x, w, b] = [[1, 1, 5, 6], [2, 1, 1, 1], [2]].map((shape, i) =>
        Tensor.fromData(gpu, random(shape.reduce((a, d) => a * d, 1), 51 + i), shape));
      const forward = async (v: Conv2dVariant): Promise<Float32Array> => {
        const y = Tensor.empty(gpu, [1, 2, 5, 6], `y ${v}`);
        runConv2dForward(gpu, x!.buffer, w!.buffer, b!.buffer, y.buffer, g, v);
        const out = await y.read();
        y.dispose();
        return out;
      };
      expectClose(`y (${variant}, 8-byte weights)`, await forward(variant), await forward('direct'), [1, 2, 5, 6]);
      [x, w, b].forEach((t) => t!.dispose());
    });
  }

  // Past TAP_MAJOR_MIN_PIXELS outputs, forward_3_subgroup's 32-channel tiles read their weights from a tap-major copy:
  // two channel blocks, the second 24 channels wide (8 lanes' channels repeat the last), rows of 37 (a part quad);
  // then pixel pairs (rows of 30) with two groups. The first case's input gradient, a forward of the flipped weights
  // over as many tiles, runs 'winograd' on a software device.
  const tapMajorCases: [string, number[], number[], number][] = [
    ['two channel blocks, rows of 37', [2, 32, 30, 37], [56, 32, 3, 3], 1],
    ['pixel pairs, two groups', [3, 16, 26, 30], [64, 8, 3, 3], 2],
  ];
  for (const [name, xShape, wShape, groups] of tapMajorCases) {
    it(`reads 32-channel tiles' weights tap-major as the reference kernel computes it (${name})`, async (ctx) => {
      const gpu = await softwareTestGpu();
      const g = conv2dGeometry(xShape, wShape, [wShape[0]!], { padding: 1, groups });
      if (!conv2dVariantApplies('forward', 'subgroup', g, gpu)) ctx.skip();
      const yShape = [g.batch, g.cout, g.oh, g.ow];
      const [x, w, b, dy] = [xShape, wShape, [g.cout], yShape].map((shape, i) =>
        Tensor.fromData(gpu, random(shape.reduce((a, d) => a * d, 1), 41 + i), shape));
      const forward = async (variant: Conv2dVariant): Promise<[string[], Float32Array]> => {
        const y = Tensor.empty(gpu, yShape, `y ${variant}`);
        gpu.startProfiling();
        runConv2dForward(gpu, x!.buffer, w!.buffer, b!.buffer, y.buffer, g, variant);
        const kernels = (await gpu.stopProfiling()).map((k) => k.name);
        const out = await y.read();
        y.dispose();
        return [kernels, out];
      };
      const [kernels, y] = await forward('subgroup');
      expect(kernels).toEqual(['conv2d.tap_major_weights', 'conv2d.forward_3_subgroup']);
      expectClose(`y (${name})`, y, (await forward('direct'))[1], yShape);
      if (groups === 1) {
        const inputGradient = async (variant: Conv2dVariant): Promise<[string[], Float32Array]> => {
          const dx = Tensor.empty(gpu, xShape, `dx ${variant}`);
          gpu.startProfiling();
          runConv2dBackwardInput(gpu, dy!.buffer, w!.buffer, dx.buffer, g, variant);
          const kernels = (await gpu.stopProfiling()).map((k) => k.name);
          const out = await dx.read();
          dx.dispose();
          return [kernels, out];
        };
        const [dxKernels, dx] = await inputGradient('gemm');
        expect(dxKernels).toEqual(['conv2d.flip_weights', ...WINOGRAD_KERNELS]);
        expectClose(`dx (${name})`, dx, (await inputGradient('direct'))[1], xShape);
      }
      [x, w, b, dy].forEach((t) => t!.dispose());
    });
  }

  // forward_3_subgroup's 32-channel tiles (32 channels a group, or 64) sum each kernel row's taps before the
  // accumulators take them (TAP_SUMS): with weights tap-major (2,048 outputs a channel or more) and not, windows
  // sliding along a row and not (stride 2), pixel pairs (rows of 2 mod 4), two groups, rows of 3 and 5 taps.
  const tapSumCases: [string, number[], number[], number, number | [number, number], number][] = [
    ['stride 2, weights not tap-major', [2, 8, 31, 35], [64, 8, 3, 3], 2, 1, 1],
    ['stride 2, weights tap-major', [4, 8, 48, 50], [32, 8, 3, 3], 2, 1, 1],
    ['5x5, pixel pairs, weights tap-major', [2, 6, 33, 34], [64, 6, 5, 5], 1, 2, 1],
    ['pixel pairs, two groups', [2, 16, 26, 30], [64, 8, 3, 3], 1, 1, 2],
    ['1x3 rows', [1, 4, 9, 13], [32, 4, 1, 3], 1, [0, 1], 1],
  ];
  for (const [name, xShape, wShape, stride, padding, groups] of tapSumCases) {
    it(`sums a kernel row's taps before the accumulators take them as the reference kernel computes it (${name})`,
      async (ctx) => {
        const gpu = await testGpu();
        const g = conv2dGeometry(xShape, wShape, [wShape[0]!], { stride, padding, groups });
        if (!conv2dVariantApplies('forward', 'subgroup', g, gpu)) ctx.skip();
        const yShape = [g.batch, g.cout, g.oh, g.ow];
        const [x, w, b] = [xShape, wShape, [g.cout]].map((shape, i) =>
          Tensor.fromData(gpu, random(shape.reduce((a, d) => a * d, 1), 61 + i), shape));
        const forward = async (variant: Conv2dVariant): Promise<Float32Array> => {
          const y = Tensor.empty(gpu, yShape, `y ${variant}`);
          runConv2dForward(gpu, x!.buffer, w!.buffer, b!.buffer, y.buffer, g, variant);
          const out = await y.read();
          y.dispose();
          return out;
        };
        expectClose(`y (${name})`, await forward('subgroup'), await forward('direct'), yShape);
        [x, w, b].forEach((t) => t!.dispose());
      });
  }

  it('splits K of a small map on a hardware GPU (forward_5_tiled, then sum_partials) as the reference kernel computes it', async () => {
    const gpu = await hardwareTestGpu();
    // 40 channels x 49 pixels: 4 blocks of 32 x 32, so K = 96 * 9 = 864 goes in 6 splits of 144.
    const g = conv2dGeometry([1, 96, 7, 7], [40, 96, 3, 3], [40], { padding: 1 });
    const [x, w, b] = [random(96 * 49, 31), random(40 * 96 * 9, 32), random(40, 33)].map((data, i) =>
      Tensor.fromData(gpu, data, [[1, 96, 7, 7], [40, 96, 3, 3], [40]][i]!));
    const run = async (variant: Conv2dVariant): Promise<Float32Array> => {
      const y = Tensor.empty(gpu, [1, 40, 7, 7], `y ${variant}`);
      gpu.startProfiling();
      runConv2dForward(gpu, x!.buffer, w!.buffer, b!.buffer, y.buffer, g, variant);
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      expect(kernels).toEqual(variant === 'tiled' ? ['conv2d.forward_5_tiled', 'conv2d.sum_partials'] : ['conv2d.forward']);
      const out = await y.read();
      y.dispose();
      return out;
    };
    const reference = await run('direct');
    expectClose('y (tiled, K in 6 splits)', await run('tiled'), reference, [1, 40, 7, 7]);
    [x, w, b].forEach((t) => t!.dispose());
  });

  // forward_7_patch_stats: y as the plain pass writes it, and partials whose merge (stats_finalize) gives each
  // channel's batch mean and biased variance of y; blocks cut short and a second channel block with padding.
  for (const name of ['patch_blocks_cut_short', 'patch_cin3_cout20']) {
    it(`writes the batch statistics of y on the way, as a batch norm merges them (${name})`, async () => {
      const gpu = await hardwareTestGpu();
      const c = loadCases('conv2d_patch').find((k) => k.name === name)!;
      const g = conv2dGeometry(c.t('x').shape, c.t('w').shape, c.t('b').shape, options(c));
      const chunks = conv2dForwardStatsChunks(g, gpu)!;
      expect(chunks).toBe(Math.ceil(g.ow / 32) * Math.ceil(g.oh / 16));
      const input = (role: string): Tensor => Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
      const [x, w, b] = [input('x'), input('w'), input('b')];
      const y = Tensor.empty(gpu, c.t('y').shape, 'y');
      const part = Tensor.empty(gpu, [g.batch * g.cout * chunks * 4], 'part');
      const stats = Tensor.empty(gpu, [STATS_ROWS, g.cout], 'stats');
      runConv2dForward(gpu, x.buffer, w.buffer, b.buffer, y.buffer, g, undefined, part.buffer);
      expect(() => runConv2dForward(gpu, x.buffer, w.buffer, b.buffer, y.buffer, g, 'gemm', part.buffer))
        .toThrow(/'gemm' does not write batch statistics/);
      const shape = { n: g.batch, c: g.cout, hw: g.oh * g.ow };
      runBatchnorm2dBatchStats(gpu, y.buffer, null, null, stats.buffer, shape, 1e-5, undefined, null, { part: part.buffer, chunks });
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      const want = channelMoments(c.t('y').data, shape);
      const rows = await stats.read();
      expectClose('mean', rows.slice(0, g.cout), want.mean, [g.cout]);
      expectClose('var', rows.slice(g.cout, 2 * g.cout), want.variance, [g.cout]);
      [x, w, b, y, part, stats].forEach((t) => t.dispose());
    });
  }

  // forward_6_depthwise_multi_stats, on the software device: y as the plain pass writes it, and one partial per
  // thread and channel whose merge gives the batch moments; rows cut into chunks, strips cut short, rows read as
  // quads and as scalars, 1, 2 and 4 channels a thread, groups.
  const multiCases = ['conv2d_depthwise', 'conv2d_patch'].flatMap((set) => loadCases(set));
  it('writes the batch statistics of y on the way from the multi-channel depthwise forward', async () => {
    const gpu = await softwareTestGpu();
    const ran: string[] = [];
    for (const c of multiCases) {
      const g = conv2dGeometry(c.t('x').shape, c.t('w').shape, c.has('b') ? c.t('b').shape : null, options(c));
      const chunks = conv2dForwardStatsChunks(g, gpu);
      if (chunks === null || chooseConv2dVariant('forward', g, gpu) !== 'depthwise') continue;
      ran.push(c.name);
      const input = (role: string): Tensor => Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
      const [x, w, b] = [input('x'), input('w'), c.has('b') ? input('b') : null];
      const y = Tensor.empty(gpu, c.t('y').shape, 'y');
      const part = Tensor.empty(gpu, [g.batch * g.cout * chunks * 4], 'part');
      const stats = Tensor.empty(gpu, [STATS_ROWS, g.cout], 'stats');
      gpu.startProfiling();
      runConv2dForward(gpu, x.buffer, w.buffer, b?.buffer ?? null, y.buffer, g, undefined, part.buffer);
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      expect(kernels, c.name).toEqual(['conv2d.forward_6_depthwise_multi_stats']);
      const shape = { n: g.batch, c: g.cout, hw: g.oh * g.ow };
      const partials = { part: part.buffer, chunks };
      runBatchnorm2dBatchStats(gpu, y.buffer, null, null, stats.buffer, shape, 1e-5, undefined, null, partials);
      expectClose(`${c.name} y`, await y.read(), c.t('y').data, c.t('y').shape);
      const want = channelMoments(c.t('y').data, shape);
      const rows = await stats.read();
      expectClose(`${c.name} mean`, rows.slice(0, g.cout), want.mean, [g.cout]);
      expectClose(`${c.name} var`, rows.slice(g.cout, 2 * g.cout), want.variance, [g.cout]);
      [x, w, b, y, part, stats].forEach((t) => t?.dispose());
    }
    expect(ran).toEqual(expect.arrayContaining(['dw_multiplier16_3x3_rows_chunked', 'dw_multiplier6_groups2',
      'dw_weight_multi_5x5_rows12', 'dw_9x9_multiplier4', 'dw_9x7_multiplier2_groups2', 'patch_blocks_cut_short']));
  });

  // The partials' sums are taken about each thread's first output: with y near 1000 and spread about 1, sums about 0
  // would lose the variance to rounding (float32 keeps ~7 digits of a sum of squares near 1e6 per value).
  it('keeps the batch variance of y when its mean is large against its spread (multi depthwise stats)', async () => {
    const gpu = await testGpu();
    const g = conv2dGeometry([2, 1, 40, 36], [16, 1, 5, 5], [16], { padding: 2 });
    const chunks = conv2dForwardStatsChunks(g, gpu);
    expect(chunks).not.toBeNull();
    const x = Tensor.fromData(gpu, random(2 * 40 * 36, 61), [2, 1, 40, 36]);
    const w = Tensor.fromData(gpu, random(16 * 25, 62).map((v) => 0.2 * v), [16, 1, 5, 5]);
    const b = Tensor.fromData(gpu, random(16, 63).map((v) => 1000 + v), [16]);
    const y = Tensor.empty(gpu, [2, 16, 40, 36], 'y');
    const part = Tensor.empty(gpu, [g.batch * g.cout * chunks! * 4], 'part');
    const stats = Tensor.empty(gpu, [STATS_ROWS, g.cout], 'stats');
    runConv2dForward(gpu, x.buffer, w.buffer, b.buffer, y.buffer, g, undefined, part.buffer);
    const shape = { n: g.batch, c: g.cout, hw: g.oh * g.ow };
    const partials = { part: part.buffer, chunks: chunks! };
    runBatchnorm2dBatchStats(gpu, y.buffer, null, null, stats.buffer, shape, 1e-5, undefined, null, partials);
    const want = channelMoments(await y.read(), shape);
    const rows = await stats.read();
    expect(Math.min(...want.mean)).toBeGreaterThan(990);
    expectClose('mean', rows.slice(0, g.cout), want.mean, [g.cout]);
    expectClose('var', rows.slice(g.cout, 2 * g.cout), want.variance, [g.cout]);
    [x, w, b, y, part, stats].forEach((t) => t.dispose());
  });

  it('agrees with finite differences for x, w and b', async () => {
    const gpu = await testGpu();
    await gradCheck(
      gpu,
      'conv2d',
      [
        { data: random(2 * 3 * 6 * 7, 1), shape: [2, 3, 6, 7], grad: true },
        { data: random(4 * 3 * 3 * 2, 2), shape: [4, 3, 3, 2], grad: true },
        { data: random(4, 3), shape: [4], grad: true },
      ],
      (x, w, b) => conv2d(x!, w!, b!, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }),
    );
  });

  it('agrees with finite differences with groups and no bias', async () => {
    const gpu = await testGpu();
    await gradCheck(
      gpu,
      'conv2d groups',
      [
        { data: random(2 * 4 * 5 * 5, 4), shape: [2, 4, 5, 5], grad: true },
        { data: random(6 * 2 * 3 * 3, 5), shape: [6, 2, 3, 3], grad: true },
      ],
      (x, w) => conv2d(x!, w!, null, { padding: 1, groups: 2 }),
    );
  });

  it('runs the input gradient of a depthwise conv as a depthwise forward of the flipped weights', async () => {
    const gpu = await testGpu();
    const g = conv2dGeometry([2, 3, 9, 10], [3, 1, 3, 3], null, { padding: 1, groups: 3 });
    const [dy, w, dx] = [[2, 3, 9, 10], [3, 1, 3, 3], [2, 3, 9, 10]].map((shape) => Tensor.zeros(gpu, shape));
    gpu.startProfiling();
    runConv2dBackwardInput(gpu, dy!.buffer, w!.buffer, dx!.buffer, g);
    const kernels = (await gpu.stopProfiling()).map((k) => k.name);
    // The flipped-weight forward runs whatever this device picks for it: 'depthwise' on software devices.
    const forward = chooseConv2dVariant('forward', g, gpu);
    if (gpu.isSoftware) expect(forward).toBe('depthwise');
    expect(kernels).toEqual(['conv2d.flip_weights', FORWARD_KERNELS[forward]]);
    [dy, w, dx].forEach((t) => t!.dispose());
  });

  it("runs the 'subgroup' weight-gradient kernel the test helper names (quads, padded, packed)", async (ctx) => {
    const gpu = await testGpu();
    if (!gpu.hasSubgroups) ctx.skip();
    const shapes: [number[], number[], Conv2dOptions][] = [
      [[2, 16, 8, 8], [16, 16, 3, 3], { padding: 1 }], // planes of 64 pixels
      [[2, 16, 7, 7], [16, 16, 3, 3], { padding: 1 }], // 49: dy padded on software devices
      [[2, 16, 7, 7], [32, 16, 1, 1], {}], // a 1x1 over 49 pixels: packed on software devices
      [[2, 16, 8, 8], [32, 16, 1, 1], { stride: 2 }], // a strided 1x1: packed on software devices
    ];
    for (const [xs, ws, opts] of shapes) {
      const g = conv2dGeometry(xs, ws, null, opts);
      const [x, dy, dw] = [xs, [g.batch, g.cout, g.oh, g.ow], ws].map((shape) => Tensor.zeros(gpu, shape));
      gpu.startProfiling();
      runConv2dBackwardWeight(gpu, x!.buffer, dy!.buffer, dw!.buffer, g, 'subgroup');
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      expect(kernels).toContain(weightGradientKernel('subgroup', g, gpu.isSoftware));
      [x, dy, dw].forEach((t) => t!.dispose());
    }
  });

  it('flips 1x1 weights a 4 x 4 block a thread where the channels per group allow it', async () => {
    const gpu = await testGpu();
    const flipKernel = async (cin: number, cout: number, groups: number): Promise<string> => {
      const g = conv2dGeometry([1, cin, 4, 4], [cout, cin / groups, 1, 1], null, { groups });
      const shapes = [[1, cout, 4, 4], [cout, cin / groups, 1, 1], [1, cin, 4, 4]];
      const [dy, w, dx] = shapes.map((shape) => Tensor.zeros(gpu, shape));
      gpu.startProfiling();
      runConv2dBackwardInput(gpu, dy!.buffer, w!.buffer, dx!.buffer, g);
      const kernels = (await gpu.stopProfiling()).map((k) => k.name);
      [dy, w, dx].forEach((t) => t!.dispose());
      return kernels[0]!;
    };
    // The values are checked on the pointwise and tile-edge fixtures (groups included); here which kernel flips.
    expect(await flipKernel(16, 24, 2)).toBe('conv2d.flip_weights_1_pointwise');
    expect(await flipKernel(12, 8, 2)).toBe('conv2d.flip_weights'); // 6 input channels a group
    expect(await flipKernel(8, 10, 1)).toBe('conv2d.flip_weights');
  });

  it("runs the input gradient of CNN-X's 1 -> 16 convs as a depthwise forward summing 16 channels into 1", async () => {
    const gpu = await testGpu();
    const g = conv2dGeometry([2, 1, 12, 16], [8, 1, 9, 9], [8], { padding: 4 });
    const [dy, w, dx] = [[2, 8, 12, 16], [8, 1, 9, 9], [2, 1, 12, 16]].map((shape) => Tensor.zeros(gpu, shape));
    gpu.startProfiling();
    runConv2dBackwardInput(gpu, dy!.buffer, w!.buffer, dx!.buffer, g);
    const kernels = (await gpu.stopProfiling()).map((k) => k.name);
    // dy convolved with the flipped weights: 8 input channels, 1 output channel, rows of 16.
    const transposed = { ...g, cin: 8, cout: 1 };
    expect(chooseConv2dVariant('forward', transposed, gpu)).toBe('depthwise'); // software and hardware rules alike
    expect(kernels).toEqual(['conv2d.flip_weights', 'conv2d.forward_6_depthwise_reduce']);
    // Rows not a multiple of 4 inputs long keep 'gemm'.
    expect(chooseConv2dVariant('forward', { ...transposed, w: 14, ow: 14 }, gpu)).toBe('gemm');
    [dy, w, dx].forEach((t) => t!.dispose());
  });

  it('runs the fast variants on most fixtures and refuses a forced variant that does not apply', async () => {
    const gpu = await testGpu();
    const cases = loadCases('conv2d').map((c) =>
      conv2dGeometry(c.t('x').shape, c.t('w').shape, null, options(c)),
    );
    for (const pass of ['forward', 'backwardInput', 'backwardWeight'] as const) {
      const fast = (g: Conv2dGeometry): boolean => CONV2D_VARIANTS[pass].some((v) => v !== 'direct' && conv2dVariantApplies(pass, v, g));
      const covered = cases.filter(fast).length;
      expect(covered, `${pass}: fixtures a fast variant handles`).toBeGreaterThanOrEqual(cases.length * 0.9);
    }
    const strided = conv2dGeometry([1, 2, 7, 7], [3, 2, 3, 3], null, { stride: 2 });
    const buffer = gpu.alloc(1024, 'unused');
    expect(() => runConv2dBackwardInput(gpu, buffer, buffer, buffer, strided, 'gemm')).toThrow(/variant 'gemm' does not handle/);
    gpu.free(buffer);
  });

  it('chooses the subgroup variants where they are faster, and only on devices with subgroups; depthwise on any', () => {
    const resnet1x1 = conv2dGeometry([1, 1024, 14, 14], [256, 1024, 1, 1], null);
    const resnet1x1At56 = conv2dGeometry([1, 64, 56, 56], [256, 64, 1, 1], null);
    const resnetDown = conv2dGeometry([1, 512, 28, 28], [1024, 512, 1, 1], null, { stride: 2 });
    const resnet3x3 = conv2dGeometry([1, 256, 14, 14], [256, 256, 3, 3], null, { padding: 1 });
    const resnet3x3At7 = conv2dGeometry([1, 512, 7, 7], [512, 512, 3, 3], null, { padding: 1 });
    const few3x3 = conv2dGeometry([15, 8, 56, 56], [64, 8, 3, 3], null, { padding: 1 });
    const depthwise = conv2dGeometry([1, 728, 19, 19], [728, 1, 3, 3], null, { padding: 1, groups: 728 });
    const cnnx9x9 = conv2dGeometry([15, 1, 224, 224], [16, 1, 9, 9], [16], { padding: 4 });
    const cnnx5x5 = conv2dGeometry([15, 1, 224, 224], [16, 1, 5, 5], [16], { padding: 2 });
    const cnnx3x3 = conv2dGeometry([15, 1, 224, 224], [16, 1, 3, 3], [16], { padding: 1 });
    const stem = conv2dGeometry([1, 3, 224, 224], [64, 3, 7, 7], null, { stride: 2, padding: 3 });
    const cnnx9x9Transposed = conv2dGeometry([15, 16, 224, 224], [1, 16, 9, 9], null, { padding: 4 });
    const cnnx3x3Transposed = conv2dGeometry([15, 16, 224, 224], [1, 16, 3, 3], null, { padding: 1 });
    const expected: [Conv2dPass, Conv2dGeometry, Conv2dVariant][] = [
      ['forward', resnet1x1, 'pointwise'],
      ['forward', resnet1x1At56, 'subgroup'], // past 28 x 28 outputs
      ['backwardWeight', resnet1x1At56, 'pointwise'],
      ['forward', resnetDown, 'pointwise'],
      ['forward', resnet3x3, 'subgroup'], // 196 outputs a channel: the weights' transform costs more than it saves
      ['forward', { ...resnet3x3, batch: 4 }, 'winograd'],
      ['forward', { ...resnet3x3At7, batch: 10 }, 'subgroup'],
      ['forward', { ...resnet3x3At7, batch: 11 }, 'winograd'], // 539 outputs a channel
      ['forward', few3x3, 'subgroup'], // 8 input channels
      ['forward', depthwise, 'depthwise'],
      ['forward', cnnx9x9, 'depthwise'], // 2 channels a thread
      ['forward', cnnx5x5, 'depthwise'],
      ['backwardWeight', cnnx5x5, 'depthwise'],
      ['forward', cnnx3x3, 'depthwise'],
      ['backwardWeight', cnnx3x3, 'depthwise'], // 4 channels a thread from one window (rows of a multiple of 4)
      ['backwardWeight', stem, 'subgroup'],
      ['backwardInput', resnetDown, 'strided'],
      ['backwardWeight', resnet3x3, 'subgroup'],
      ['backwardWeight', { ...resnet3x3, batch: 4 }, 'winograd'],
      ['backwardWeight', depthwise, 'depthwise'],
      ['backwardWeight', cnnx9x9, 'depthwise'], // 2 channels a thread
      ['forward', cnnx9x9Transposed, 'depthwise'], // its input gradient: one output channel from 16
    ];
    for (const [pass, g, variant] of expected) {
      expect(chooseConv2dVariant(pass, g, WITH_SUBGROUPS), `${pass} ${JSON.stringify(g)}`).toBe(variant);
      const withoutSubgroups = variant === 'depthwise' || variant === 'strided' ? variant : 'gemm';
      expect(chooseConv2dVariant(pass, g, { hasSubgroups: false })).toBe(withoutSubgroups);
    }
    // On a hardware GPU (as measured on an H100) spatial convs with up to 4 input channels run 'patch' (the weight
    // gradient from 5x5); otherwise the forward runs 'tiled' where 32 channels and a K of 64 fill its blocks (K split
    // over small maps), else 'pointwise' (1x1) or 'gemm'; the weight
    // gradient of few-input-channel convs takes 'subgroup' too, but 'depthwise' for a 3x3; depthwise convs run
    // 'depthwise'; small strided input gradients run the reference kernel.
    const narrow1x1 = conv2dGeometry([1, 64, 56, 56], [16, 64, 1, 1], null);
    const largeDown = conv2dGeometry([15, 256, 56, 56], [512, 256, 1, 1], null, { stride: 2 });
    const hardware: [Conv2dPass, Conv2dGeometry, Conv2dVariant][] = [
      ['forward', resnet1x1, 'tiled'],
      ['forward', resnet3x3, 'tiled'], // 14 x 14 at batch 1: few blocks, K split
      ['forward', { ...resnet3x3, batch: 2 }, 'tiled'],
      ['forward', stem, 'tiled'],
      ['forward', narrow1x1, 'pointwise'],
      ['forward', cnnx9x9, 'patch'],
      ['forward', depthwise, 'depthwise'],
      ['forward', cnnx3x3, 'patch'],
      ['backwardWeight', resnet3x3, 'subgroup'],
      ['backwardWeight', cnnx9x9, 'patch'],
      ['backwardWeight', depthwise, 'depthwise'],
      ['backwardWeight', cnnx5x5, 'patch'],
      ['backwardWeight', cnnx3x3, 'depthwise'],
      ['backwardInput', resnet3x3, 'gemm'],
      ['backwardInput', resnetDown, 'direct'],
      ['backwardInput', largeDown, 'strided'],
      ['forward', cnnx9x9Transposed, 'depthwise'], // one output channel from 16: forward_6_depthwise_reduce
      ['forward', cnnx3x3Transposed, 'gemm'], // ... but not at 3x3
      ['backwardWeight', resnet1x1, 'pointwise'],
    ];
    for (const [pass, g, variant] of hardware) {
      expect(chooseConv2dVariant(pass, g, HARDWARE), `hardware ${pass} ${JSON.stringify(g)}`).toBe(variant);
    }
  });

  // The patch variants fill their workgroup memory (16 KiB): the cases their fixtures were made for stay theirs,
  // the largest patch a 9x9's over 4 input channels (1,968 values; the weight gradient once held 1,920 and lost it).
  it('keeps every patch fixture case, and a 9x9 over 4 input channels, on the patch variants', () => {
    const largest = loadCases('conv2d_reduce').filter((c) => c.name === 'reduce_9x9_pad4');
    const cases = [...loadCases('conv2d_patch'), ...largest];
    expect(cases.length).toBe(8);
    for (const c of cases) {
      const g = conv2dGeometry(c.t('x').shape, c.t('w').shape, c.has('b') ? c.t('b').shape : null, options(c));
      expect(conv2dVariantApplies('forward', 'patch', g), `${c.name} forward`).toBe(true);
      expect(conv2dVariantApplies('backwardWeight', 'patch', g), `${c.name} weight gradient`).toBe(true);
    }
  });

  it('computes only the gradients that are needed', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, random(1 * 2 * 4 * 4, 6), [1, 2, 4, 4]);
    const w = Tensor.fromData(gpu, random(3 * 2 * 3 * 3, 7), [3, 2, 3, 3]);
    const b = Tensor.fromData(gpu, random(3, 8), [3]);
    w.requiresGrad = true;
    const before = gpu.dispatches;
    tidy(() => backward(conv2d(x, w, b), Tensor.full(gpu, [1, 3, 2, 2], 1)));
    expect(x.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(w.grad!.shape).toEqual([3, 2, 3, 3]);
    expect(gpu.dispatches - before).toBeLessThan(12);
    [x, w, b].forEach((t) => t.dispose());
  });

  it('rejects inconsistent shapes with messages that name them', async () => {
    const gpu = await testGpu();
    const t = (shape: number[]): Tensor => Tensor.zeros(gpu, shape);
    const cases: [() => unknown, RegExp][] = [
      [() => conv2d(t([2, 3, 8]), t([4, 3, 3, 3]), null), /x must be 4-D.*x \[2, 3, 8\]/],
      [() => conv2d(t([1, 3, 8, 8]), t([4, 3, 3]), null), /w must be 4-D.*w \[4, 3, 3\]/],
      [() => conv2d(t([1, 3, 8, 8]), t([4, 2, 3, 3]), null), /2 input channels per group.*x \[1, 3, 8, 8\], w \[4, 2, 3, 3\]/],
      [() => conv2d(t([1, 4, 8, 8]), t([3, 2, 3, 3]), null, { groups: 2 }), /groups = 2 must divide/],
      [() => conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), t([3])), /b must be \[4\].*b \[3\]/],
      [() => conv2d(t([1, 3, 4, 4]), t([4, 3, 5, 5]), null), /5x5 \(dilated\) kernel is larger than the padded input 4x4/],
      [() => conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), null, { stride: 0 }), /stride must be integers >= 1/],
      [() => conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), null, { padding: -1 }), /padding must be integers >= 0/],
      [() => conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), null, { dilation: [1, 1.5] }), /dilation must be integers >= 1/],
      [() => conv2d(t([1, 3, 8, 8]), t([4, 3, 3, 3]), null, { groups: 0 }), /groups must be a positive integer/],
    ];
    for (const [run, message] of cases) expect(run).toThrow(message);
  });
});

/** Per channel, the float64 mean and biased variance of an NCHW tensor over N*H*W. */
function channelMoments(data: Float32Array, s: { n: number; c: number; hw: number }): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(s.c);
  const variance = new Float64Array(s.c);
  for (let ch = 0; ch < s.c; ch++) {
    let sum = 0;
    for (let n = 0; n < s.n; n++) for (let i = 0; i < s.hw; i++) sum += data[(n * s.c + ch) * s.hw + i]!;
    mean[ch] = sum / (s.n * s.hw);
    let m2 = 0;
    for (let n = 0; n < s.n; n++) for (let i = 0; i < s.hw; i++) m2 += (data[(n * s.c + ch) * s.hw + i]! - mean[ch]!) ** 2;
    variance[ch] = m2 / (s.n * s.hw);
  }
  return { mean, variance };
}
