import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { linear } from '../../src/graph/ops/linear.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { runLinearBackwardInput, runLinearBackwardWeight, runLinearForward } from '../../src/kernels/linear.js';
import { MATMUL_VARIANTS, runMatmul } from '../../src/kernels/matmul.js';
import { expectClose } from '../helpers/compare.js';
import { gradCheck } from '../helpers/finite_diff.js';
import { loadCases } from '../helpers/fixtures.js';
import { hardwareTestGpu, testGpu } from '../helpers/gpu.js';

describe('linear', () => {
  for (const c of loadCases('linear')) {
    const [n, k] = c.t('x').shape;
    const m = c.t('w').shape[0];
    it(`matches PyTorch forward and backward (${c.name}: N=${n} K=${k} M=${m}${c.has('b') ? '' : ', no bias'})`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
      const w = Tensor.fromData(gpu, c.t('w').data, c.t('w').shape);
      const b = c.has('b') ? Tensor.fromData(gpu, c.t('b').data, c.t('b').shape) : null;
      for (const t of [x, w, b]) if (t) t.requiresGrad = true;
      const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
      const y = tidy(() => {
        const out = linear(x, w, b);
        backward(out, dy);
        return out;
      });
      expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
      expectClose('dx', await x.grad!.read(), c.t('dx').data, c.t('dx').shape);
      expectClose('dw', await w.grad!.read(), c.t('dw').data, c.t('dw').shape);
      if (b) expectClose('db', await b.grad!.read(), c.t('db').data, c.t('db').shape);
      [x, w, b, dy, y].forEach((t) => t?.dispose());
    });
  }

  it('matches PyTorch with a long K split as a hardware GPU splits it (hundreds of chunks)', async () => {
    const c = loadCases('linear').find((k) => k.name === 'long_k')!;
    const gpu = await hardwareTestGpu();
    const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
    const w = Tensor.fromData(gpu, c.t('w').data, c.t('w').shape);
    const b = Tensor.fromData(gpu, c.t('b').data, c.t('b').shape);
    gpu.startProfiling();
    const y = linear(x, w, b);
    expect((await gpu.stopProfiling()).map((k) => k.name)).toContain('matmul.splitk_nt_tm4');
    expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
    [x, w, b, y].forEach((t) => t.dispose());
  });

  for (const name of ['c4', 'k_vec4', 'long_k']) {
    it(`gives the same results with weights bound in row slices (${name}, binding limit lowered)`, async () => {
      const gpu = await testGpu();
      const c = loadCases('linear').find((r) => r.name === name)!;
      const [n, k] = c.t('x').shape as [number, number];
      const m = c.t('w').shape[0]!;
      const d = { n, k, m };
      // Room for 4 rows (1 for long_k) of k floats: slices start inside 256-byte blocks.
      const limit = 256 + 4 * k * (name === 'long_k' ? 1 : 4);
      const x = Tensor.fromData(gpu, c.t('x').data, [n, k]);
      const w = Tensor.fromData(gpu, c.t('w').data, [m, k]);
      const b = Tensor.fromData(gpu, c.t('b').data, [m]);
      const dy = Tensor.fromData(gpu, c.t('dy').data, [n, m]);
      const y = Tensor.empty(gpu, [n, m], 'test:y');
      const dx = Tensor.empty(gpu, [n, k], 'test:dx');
      const dw = Tensor.empty(gpu, [m, k], 'test:dw');
      runLinearForward(gpu, x.buffer, w.buffer, b.buffer, y.buffer, d, limit);
      runLinearBackwardInput(gpu, dy.buffer, w.buffer, dx.buffer, d, limit);
      runLinearBackwardWeight(gpu, dy.buffer, x.buffer, dw.buffer, d, limit);
      expectClose('y', await y.read(), c.t('y').data, [n, m]);
      expectClose('dx', await dx.read(), c.t('dx').data, [n, k]);
      expectClose('dw', await dw.read(), c.t('dw').data, [m, k]);
      [x, w, b, dy, y, dx, dw].forEach((t) => t.dispose());
    });
  }

  it('agrees with finite differences (x, w and b)', async () => {
    const gpu = await testGpu();
    const rng = createRng(11);
    const data = (count: number) => Float32Array.from({ length: count }, () => rng.next() * 2 - 1);
    await gradCheck(
      gpu,
      'linear',
      [
        { data: data(4 * 9), shape: [4, 9], grad: true },
        { data: data(5 * 9), shape: [5, 9], grad: true },
        { data: data(5), shape: [5], grad: true },
      ],
      (x, w, b) => linear(x, w, b),
    );
    await gradCheck(
      gpu,
      'linear (no bias)',
      [
        { data: data(3 * 6), shape: [3, 6], grad: true },
        { data: data(2 * 6), shape: [2, 6], grad: true },
      ],
      (x, w) => linear(x, w, null),
    );
  });

  it('names the shapes when they disagree', async () => {
    const gpu = await testGpu();
    const x = Tensor.zeros(gpu, [3, 5]);
    const w = Tensor.zeros(gpu, [4, 6]);
    const w5 = Tensor.zeros(gpu, [4, 5]);
    const b = Tensor.zeros(gpu, [3]);
    const x3 = Tensor.zeros(gpu, [1, 3, 5]);
    expect(() => linear(x, w, null)).toThrow('linear: x and w disagree on K (5 vs 6): x [3, 5], w [4, 6]');
    expect(() => linear(x, w5, b)).toThrow('linear: b must be [4] (one per output feature), got x [3, 5], w [4, 5], b [3]');
    expect(() => linear(x3, w5, null)).toThrow('linear: expects x [N, K] and w [M, K], got x [1, 3, 5], w [4, 5]');
    [x, w, w5, b, x3].forEach((t) => t.dispose());
  });
});

describe('matmul variants', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [5, 130, 7],
    [33, 68, 45],
    [70, 67, 300],
    [3, 2, 50001],
    [15, 2100, 4], // linear's dx: a short K, several vec4 columns per thread across workgroups
    [9, 70, 3], // an unrolled K with a second pass of one row
    [4, 1030, 15], // linear's dw
  ];
  // outer takes an A of at most 16 stored rows of 4: K = 4 (A as stored), or 4 rows of C (A transposed).
  const outerShapes: [number, number, number, boolean][] = [
    [15, 2100, 4, false], // linear's dx at batch 15
    [4, 1030, 15, true], // linear's dw at batch 15
    [16, 70, 4, false],
    [4, 130, 16, true],
    [1, 5, 4, false],
    [4, 9, 1, true],
    [7, 300, 4, false],
    [4, 2, 9, true],
  ];
  // splitk tiles rows 4 at a time on a software device and up to 16 on a hardware GPU: both are checked.
  const runs = [
    ...MATMUL_VARIANTS.map((variant) => ({ variant, kind: '', gpuFor: testGpu })),
    { variant: 'splitk' as const, kind: ' (as a hardware GPU tiles it)', gpuFor: hardwareTestGpu },
  ];
  for (const { variant, kind, gpuFor } of runs) {
    // columns_vec4 and outer take B untransposed with cols, strides and offsets that are multiples of 4.
    const vec4 = variant === 'columns_vec4' || variant === 'outer';
    const cases = variant === 'outer'
      ? outerShapes.map(([rows, cols, depth, transA]) => ({ rows, cols, depth, transAs: [transA] }))
      : shapes.map(([rows, cols, depth]) => ({ rows, cols, depth, transAs: [false, true] }));
    it(`${variant}${kind}: transpose combinations, offsets, row strides and accumulation match a CPU reference`, async () => {
      const gpu = await gpuFor();
      if (variant === 'outer' && !gpu.hasSubgroups) return;
      const rng = createRng(5);
      for (const { rows, cols: cols0, depth, transAs } of cases) {
        const cols = vec4 ? Math.ceil(cols0 / 4) * 4 : cols0;
        for (const transA of transAs) {
          for (const transB of vec4 ? [false] : [false, true]) {
            const accumulate = variant === 'outer' ? (rows + depth) % 2 === 1 : transA !== transB || (vec4 && transA);
            const a = storedMatrix(rng, transA ? depth : rows, transA ? rows : depth, variant === 'outer');
            const b = storedMatrix(rng, transB ? cols : depth, transB ? depth : cols, vec4);
            const c = storedMatrix(rng, rows, cols, vec4);
            const want = Float64Array.from(c.data);
            for (let r = 0; r < rows; r++) {
              for (let s = 0; s < cols; s++) {
                let sum = 0;
                for (let k = 0; k < depth; k++) {
                  sum += a.at(transA ? k : r, transA ? r : k) * b.at(transB ? s : k, transB ? k : s);
                }
                const i = c.offset + r * c.ld + s;
                want[i] = (accumulate ? want[i]! : 0) + sum;
              }
            }
            const [ta, tb, tc] = [a, b, c].map((mat) => Tensor.fromData(gpu, mat.data, [mat.data.length]));
            runMatmul(
              gpu,
              { binding: ta!.buffer, offset: a.offset, ld: a.ld, trans: transA },
              { binding: tb!.buffer, offset: b.offset, ld: b.ld, trans: transB },
              { binding: tc!.buffer, offset: c.offset, ld: c.ld },
              { rows, cols, depth },
              { variant, accumulate, kChunk: depth > 64 ? 64 * Math.ceil(depth / 64 / 3) : undefined },
            );
            const got = await tc!.read();
            expectClose(
              `${variant} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} [${rows}x${cols}x${depth}]`,
              got,
              want,
              [c.data.length],
            );
            [ta, tb, tc].forEach((t) => t!.dispose());
          }
        }
      }
    });
  }

  it('refuses outer where A is not a few aligned rows of 4', async () => {
    const gpu = await testGpu();
    const t = Tensor.zeros(gpu, [512]);
    const run = (a: { ld: number; offset?: number; trans?: boolean }, dims: { rows: number; cols: number; depth: number }) =>
      runMatmul(gpu, { binding: t.buffer, ...a }, { binding: t.buffer, ld: 8 }, { binding: t.buffer, ld: 8 }, dims,
        { variant: 'outer' });
    expect(() => run({ ld: 4 }, { rows: 15, cols: 8, depth: 4 })).not.toThrow();
    expect(() => run({ ld: 4, trans: true }, { rows: 4, cols: 8, depth: 15 })).not.toThrow();
    expect(() => run({ ld: 5 }, { rows: 15, cols: 8, depth: 5 })).toThrow('outer needs');
    expect(() => run({ ld: 4 }, { rows: 17, cols: 8, depth: 4 })).toThrow('outer needs');
    expect(() => run({ ld: 4, trans: true }, { rows: 3, cols: 8, depth: 15 })).toThrow('outer needs');
    expect(() => run({ ld: 4, offset: 2 }, { rows: 15, cols: 8, depth: 4 })).toThrow('outer needs');
    expect(() => run({ ld: 6 }, { rows: 15, cols: 8, depth: 4 })).toThrow('outer needs');
    t.dispose();
  });

  it('refuses columns_vec4 on unaligned operands', async () => {
    const gpu = await testGpu();
    const t = Tensor.zeros(gpu, [64]);
    expect(() =>
      runMatmul(gpu, { binding: t.buffer, ld: 2 }, { binding: t.buffer, ld: 6 }, { binding: t.buffer, ld: 6 },
        { rows: 2, cols: 6, depth: 2 }, { variant: 'columns_vec4' }),
    ).toThrow('columns_vec4 needs B not transposed');
    t.dispose();
  });
});

/**
 * A [rows, cols] matrix stored at an offset with a padded row stride; the padding holds values that must stay.
 * Aligned: offset and stride multiples of 4 floats (for vec4 access).
 */
function storedMatrix(rng: { next: () => number }, rows: number, cols: number, aligned: boolean) {
  const offset = aligned ? 8 : 3;
  const ld = aligned ? cols + 4 : cols + 2;
  const data = Float32Array.from({ length: offset + rows * ld + 1 }, () => rng.next() * 2 - 1);
  return { data, offset, ld, at: (r: number, s: number) => data[offset + r * ld + s]! };
}
