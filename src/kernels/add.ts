/**
 * add: y = a + alpha * b (residuals), or max(that, 0) (a residual block's end); accumulate: y += alpha * x in place
 * (gradient accumulation). Tensors over one binding go in element slices.
 */
import type { Gpu } from '../runtime/gpu.js';
import { forEachElementSlice } from './batch_slices.js';
import { defineKernel } from './kernel.js';
import { VEC4_WG, vec4Count, vec4Grid } from './elementwise.js';

export const addForward = defineKernel({
  name: 'add.forward',
  shader: 'add/forward',
  bindings: [
    { name: 'a', access: 'read' },
    { name: 'b', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['n4', 'u32'], ['alpha', 'f32']],
  workgroupSize: [VEC4_WG, 1, 1],
  grid: vec4Grid,
});

/** add.forward with RELU = 1: y = max(a + alpha * b, 0). */
export const addReluForward = defineKernel({
  ...addForward,
  name: 'add.forward_relu',
  constants: { RELU: 1 },
});

export const addAccumulate = defineKernel({
  name: 'add.accumulate',
  shader: 'add/accumulate',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['n4', 'u32'], ['alpha', 'f32']],
  workgroupSize: [VEC4_WG, 1, 1],
  grid: vec4Grid,
});

export function runAdd(gpu: Gpu, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, n: number, alpha = 1): void {
  forEachElementSlice(gpu, n, [a, b, y], (_start, count, bindings) =>
    gpu.run(addForward, { n4: vec4Count(count), alpha }, bindings));
}

/** y = max(a + alpha * b, 0). */
export function runAddRelu(gpu: Gpu, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, n: number, alpha = 1): void {
  forEachElementSlice(gpu, n, [a, b, y], (_start, count, bindings) =>
    gpu.run(addReluForward, { n4: vec4Count(count), alpha }, bindings));
}

export function runAccumulate(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, n: number, alpha = 1): void {
  forEachElementSlice(gpu, n, [x, y], (_start, count, bindings) =>
    gpu.run(addAccumulate, { n4: vec4Count(count), alpha }, bindings));
}
