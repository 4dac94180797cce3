/** relu: y = max(x, 0); backward masks dy by y > 0. Tensors over one binding go in element slices. */
import type { Gpu } from '../runtime/gpu.js';
import { forEachElementSlice } from './batch_slices.js';
import { defineKernel } from './kernel.js';
import { VEC4_WG, vec4Count, vec4Grid } from './elementwise.js';

export const reluForward = defineKernel({
  name: 'relu.forward',
  shader: 'relu/forward',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['n4', 'u32']],
  workgroupSize: [VEC4_WG, 1, 1],
  grid: vec4Grid,
});

export const reluBackward = defineKernel({
  name: 'relu.backward',
  shader: 'relu/backward',
  bindings: [
    { name: 'y', access: 'read' },
    { name: 'dy', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: [['n4', 'u32']],
  workgroupSize: [VEC4_WG, 1, 1],
  grid: vec4Grid,
});

export function runReluForward(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, n: number): void {
  forEachElementSlice(gpu, n, [x, y], (_start, count, bindings) =>
    gpu.run(reluForward, { n4: vec4Count(count) }, bindings));
}

export function runReluBackward(gpu: Gpu, y: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, n: number): void {
  forEachElementSlice(gpu, n, [y, dy, dx], (_start, count, bindings) =>
    gpu.run(reluBackward, { n4: vec4Count(count) }, bindings));
}
