/** relu: y = max(x, 0); backward masks dy by y > 0. */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel } from './kernel.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';

export const reluForward = defineKernel({
  name: 'relu.forward',
  shader: 'relu/forward',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['n', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

export const reluBackward = defineKernel({
  name: 'relu.backward',
  shader: 'relu/backward',
  bindings: [
    { name: 'y', access: 'read' },
    { name: 'dy', access: 'read' },
    { name: 'dx', access: 'read_write' },
  ],
  params: [['n', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

export function runReluForward(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, n: number): void {
  gpu.run(reluForward, { n }, [x, y]);
}

export function runReluBackward(gpu: Gpu, y: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, n: number): void {
  gpu.run(reluBackward, { n }, [y, dy, dx]);
}
