/** add: y = a + alpha * b (residuals); accumulate: y += alpha * x in place (gradient accumulation). */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel } from './kernel.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';

export const addForward = defineKernel({
  name: 'add.forward',
  shader: 'add/forward',
  bindings: [
    { name: 'a', access: 'read' },
    { name: 'b', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['alpha', 'f32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

export const addAccumulate = defineKernel({
  name: 'add.accumulate',
  shader: 'add/accumulate',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['alpha', 'f32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

export function runAdd(gpu: Gpu, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, n: number, alpha = 1): void {
  gpu.run(addForward, { n, alpha }, [a, b, y]);
}

export function runAccumulate(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, n: number, alpha = 1): void {
  gpu.run(addAccumulate, { n, alpha }, [x, y]);
}
