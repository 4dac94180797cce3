/**
 * linear: y = x w^T + b (PyTorch layout: x [n, k], w [m, k], b [m], y [n, m]) and its gradients, on matmul.
 * Operands whose rows are k long (x, w, dx, dw) can be larger than one storage binding (VGG's first classifier
 * weight is 411 MB, the limit is usually 128 MiB): they are bound in row slices, each a byte range starting at a
 * 256-byte boundary with the remainder passed to the kernel as an element offset. Products over slices of the
 * reduction accumulate into the output in slice order, so results do not depend on the slicing beyond rounding.
 * Every dimension must be at least 1 (the op checks).
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';
import { defineKernel } from './kernel.js';
import { runMatmul } from './matmul.js';

export interface LinearDims {
  /** Rows of x (batch). */
  n: number;
  /** Input features. */
  k: number;
  /** Output features. */
  m: number;
}

const BIAS_GRAD_WG = [64, 4, 1] as const;
/** Byte ranges bound for slices start at multiples of this (the largest minStorageBufferOffsetAlignment allowed). */
const BINDING_ALIGN = 256;

export const linearForwardBias = defineKernel({
  name: 'linear.forward_bias',
  shader: 'linear/forward_bias',
  bindings: [
    { name: 'b', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['m', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

export const linearBackwardBias = defineKernel({
  name: 'linear.backward_bias',
  shader: 'linear/backward_bias',
  bindings: [
    { name: 'dy', access: 'read' },
    { name: 'db', access: 'read_write' },
  ],
  params: [['rows', 'u32'], ['m', 'u32']],
  workgroupSize: BIAS_GRAD_WG,
  grid: (p) => [Math.ceil(p.m / BIAS_GRAD_WG[0]), 1, 1],
});

/** y = x w^T (+ b). `maxBindingBytes` defaults to the device limit (tests lower it to exercise the slicing). */
export function runLinearForward(
  gpu: Gpu,
  x: GPUBuffer,
  w: GPUBuffer,
  b: GPUBuffer | null,
  y: GPUBuffer,
  d: LinearDims,
  maxBindingBytes = gpu.limits.maxStorageBufferBindingSize,
): void {
  const rowsPerSlice = sliceRows(d.k, maxBindingBytes);
  const yBinding = whole(y, d.n * d.m, maxBindingBytes, 'y');
  for (const [n0, n1] of slices(d.n, rowsPerSlice)) {
    const xs = rowRange(x, n0, n1, d.k);
    for (const [m0, m1] of slices(d.m, rowsPerSlice)) {
      const ws = rowRange(w, m0, m1, d.k);
      runMatmul(
        gpu,
        { binding: xs.binding, offset: xs.offset, ld: d.k },
        { binding: ws.binding, offset: ws.offset, ld: d.k, trans: true },
        { binding: yBinding, offset: n0 * d.m + m0, ld: d.m },
        { rows: n1 - n0, cols: m1 - m0, depth: d.k },
      );
    }
  }
  if (b) gpu.run(linearForwardBias, { n: d.n * d.m, m: d.m }, [b, yBinding]);
}

/** dx = dy w: the reduction over m runs slice by slice of w, accumulating into dx. */
export function runLinearBackwardInput(
  gpu: Gpu,
  dy: GPUBuffer,
  w: GPUBuffer,
  dx: GPUBuffer,
  d: LinearDims,
  maxBindingBytes = gpu.limits.maxStorageBufferBindingSize,
): void {
  const rowsPerSlice = sliceRows(d.k, maxBindingBytes);
  const dyBinding = whole(dy, d.n * d.m, maxBindingBytes, 'dy');
  for (const [n0, n1] of slices(d.n, rowsPerSlice)) {
    const dxs = rowRange(dx, n0, n1, d.k);
    for (const [m0, m1] of slices(d.m, rowsPerSlice)) {
      const ws = rowRange(w, m0, m1, d.k);
      runMatmul(
        gpu,
        { binding: dyBinding, offset: n0 * d.m + m0, ld: d.m },
        { binding: ws.binding, offset: ws.offset, ld: d.k },
        { binding: dxs.binding, offset: dxs.offset, ld: d.k },
        { rows: n1 - n0, cols: d.k, depth: m1 - m0 },
        { accumulate: m0 > 0 },
      );
    }
  }
}

/** dw = dy^T x: rows of dw slice by slice; the reduction over the batch accumulates over slices of x. */
export function runLinearBackwardWeight(
  gpu: Gpu,
  dy: GPUBuffer,
  x: GPUBuffer,
  dw: GPUBuffer,
  d: LinearDims,
  maxBindingBytes = gpu.limits.maxStorageBufferBindingSize,
): void {
  const rowsPerSlice = sliceRows(d.k, maxBindingBytes);
  const dyBinding = whole(dy, d.n * d.m, maxBindingBytes, 'dy');
  for (const [m0, m1] of slices(d.m, rowsPerSlice)) {
    const dws = rowRange(dw, m0, m1, d.k);
    for (const [n0, n1] of slices(d.n, rowsPerSlice)) {
      const xs = rowRange(x, n0, n1, d.k);
      runMatmul(
        gpu,
        { binding: dyBinding, offset: n0 * d.m + m0, ld: d.m, trans: true },
        { binding: xs.binding, offset: xs.offset, ld: d.k },
        { binding: dws.binding, offset: dws.offset, ld: d.k },
        { rows: m1 - m0, cols: d.k, depth: n1 - n0 },
        { accumulate: n0 > 0 },
      );
    }
  }
}

/** db = sum over the batch of dy. */
export function runLinearBackwardBias(gpu: Gpu, dy: GPUBuffer, db: GPUBuffer, d: LinearDims): void {
  gpu.run(linearBackwardBias, { rows: d.n, m: d.m }, [dy, db]);
}

/** Rows of k floats that fit one binding, allowing for the start being moved back to a 256-byte boundary. */
function sliceRows(k: number, maxBindingBytes: number): number {
  const rows = Math.floor((maxBindingBytes - BINDING_ALIGN) / (4 * Math.max(1, k)));
  if (rows < 1) {
    throw new RangeError(`linear: one row of ${k} features (${4 * k} bytes) exceeds a storage binding of ${maxBindingBytes}`);
  }
  return rows;
}

function slices(total: number, per: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += per) out.push([start, Math.min(total, start + per)]);
  return out;
}

/** Rows [r0, r1) of a row-major matrix with rows of k floats, as a bound range and an element offset into it. */
function rowRange(buffer: GPUBuffer, r0: number, r1: number, k: number): { binding: Binding; offset: number } {
  const begin = r0 * k * 4;
  const start = Math.floor(begin / BINDING_ALIGN) * BINDING_ALIGN;
  const size = Math.max(4, r1 * k * 4 - start);
  return { binding: { buffer, offset: start, size }, offset: (begin - start) / 4 };
}

/** An operand bound whole (its first `elements` floats), which must fit one binding. */
function whole(buffer: GPUBuffer, elements: number, maxBindingBytes: number, role: string): Binding {
  const size = Math.max(4, elements * 4);
  if (size > maxBindingBytes) {
    throw new RangeError(`linear: ${role} holds ${size} bytes, over a storage binding of ${maxBindingBytes}`);
  }
  return { buffer, offset: 0, size };
}
