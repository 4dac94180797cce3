/**
 * A tuned table names matmul variants too (`cnnx tune` times the linear layers' products): runMatmul runs the tuned
 * variant where it applies to the operands, the heuristic's where it does not or the name is not a variant, and
 * records the product it was asked for while the table collects. Results match the host's either way.
 */
import { describe, expect, it } from 'vitest';
import {
  chooseMatmulVariant,
  matmulChoiceKey,
  runMatmul,
  type MatmulDims,
  type MatrixOperand,
} from '../../src/kernels/matmul.js';
import type { Gpu } from '../../src/runtime/gpu.js';
import { adapterIdentity, KernelChoices } from '../../src/runtime/kernel_choices.js';
import { expectClose } from '../helpers/compare.js';
import { ownTestGpu } from '../helpers/gpu.js';

/** C = A B^T for A [rows, depth] and B [cols, depth] (a linear layer's forward), with `choices`: the kernels run. */
async function product(gpu: Gpu, d: MatmulDims, choices: KernelChoices | null): Promise<string[]> {
  const a = Float32Array.from({ length: d.rows * d.depth }, (_, i) => Math.sin(i * 0.7));
  const b = Float32Array.from({ length: d.cols * d.depth }, (_, i) => Math.cos(i * 0.3));
  const want = new Float64Array(d.rows * d.cols);
  for (let r = 0; r < d.rows; r++) {
    for (let s = 0; s < d.cols; s++) {
      for (let k = 0; k < d.depth; k++) want[r * d.cols + s]! += a[r * d.depth + k]! * b[s * d.depth + k]!;
    }
  }
  const ab = gpu.alloc(4 * a.length, 'test:a');
  const bb = gpu.alloc(4 * b.length, 'test:b');
  const cb = gpu.alloc(4 * want.length, 'test:c');
  gpu.upload(ab, a);
  gpu.upload(bb, b);
  const operands: [MatrixOperand, MatrixOperand, MatrixOperand] = [
    { binding: ab, ld: d.depth }, { binding: bb, ld: d.depth, trans: true }, { binding: cb, ld: d.cols },
  ];
  gpu.useKernelChoices(choices);
  gpu.startProfiling();
  runMatmul(gpu, ...operands, d);
  const kernels = (await gpu.stopProfiling()).map((k) => k.name);
  gpu.useKernelChoices(null);
  expectClose(`C [${d.rows}, ${d.cols}]`, await gpu.read(cb, 4 * want.length), want, [want.length]);
  [ab, bb, cb].forEach((buffer) => gpu.free(buffer));
  return kernels;
}

describe('matmul kernel choices', () => {
  const d: MatmulDims = { rows: 5, cols: 6, depth: 37 };
  const key = matmulChoiceKey(d, false, true);

  it('names the product readably', () => {
    expect(key).toBe('matmul.nt [5, 37] x [37, 6]');
  });

  it('runs the tuned variant where it applies, the heuristic where it does not', async () => {
    const gpu = await ownTestGpu();
    const table = (variant: string) => new KernelChoices(adapterIdentity(gpu.info), [[key, variant]]);
    const heuristic = await product(gpu, d, null);
    expect(heuristic).not.toContain('matmul.naive_nt');
    expect(await product(gpu, d, table('naive'))).toEqual(['matmul.naive_nt']);
    expect(await product(gpu, d, table('tiled'))).toEqual([expect.stringMatching(/^matmul\.tiled_nt/)]);
    // columns_vec4 needs B untransposed and 4-aligned columns; a name that is no variant is ignored.
    expect(await product(gpu, d, table('columns_vec4'))).toEqual(heuristic);
    expect(await product(gpu, d, table('fastest'))).toEqual(heuristic);
  });

  it('records the product while the table collects', async () => {
    const gpu = await ownTestGpu();
    const collector = new KernelChoices(adapterIdentity(gpu.info));
    collector.collecting = true;
    await product(gpu, d, collector);
    expect([...collector.asked.entries()]).toEqual([[key, { op: 'matmul', dims: d, transA: false, transB: true }]]);
  });

  it('splits a long K below a few dozen column threads on a software device, below 256 on a hardware GPU', () => {
    const rule = (d: MatmulDims, isSoftware: boolean) => {
      const buffer = {} as GPUBuffer; // the rule reads offsets and strides only
      const a: MatrixOperand = { binding: buffer, ld: d.depth };
      const b: MatrixOperand = { binding: buffer, ld: d.depth, trans: true };
      return chooseMatmulVariant(d, a, b, { binding: buffer, ld: d.cols }, { isSoftware, hasSubgroups: true });
    };
    const imagenetHead = { rows: 1, cols: 1000, depth: 2048 }; // 250 column threads
    expect(rule(imagenetHead, true)).toBe('columns');
    expect(rule(imagenetHead, false)).toBe('splitk');
    expect(rule({ rows: 15, cols: 256, depth: 2048 }, true)).toBe('columns'); // 64 threads
    expect(rule({ rows: 15, cols: 252, depth: 2048 }, true)).toBe('splitk'); // 63
    expect(rule({ rows: 15, cols: 4, depth: 360_000 }, true)).toBe('splitk'); // CNN-X's fc
  });
});
