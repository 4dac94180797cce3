/** fill: sets every element of a buffer to one f32 value (zeros, ones, NaN poison), in element slices if large. */
import type { Gpu } from '../runtime/gpu.js';
import { forEachElementSlice } from './batch_slices.js';
import { defineKernel } from './kernel.js';
import { VEC4_WG, vec4Count, vec4Grid } from './elementwise.js';

export const fillForward = defineKernel({
  name: 'fill.forward',
  shader: 'fill/forward',
  bindings: [{ name: 'y', access: 'read_write' }],
  params: [['n4', 'u32'], ['bits', 'u32']],
  workgroupSize: [VEC4_WG, 1, 1],
  grid: vec4Grid,
});

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function fill(gpu: Gpu, y: GPUBuffer, n: number, value: number): void {
  f32[0] = value;
  const bits = u32[0]!;
  forEachElementSlice(gpu, n, [y], (_start, count, bindings) =>
    gpu.run(fillForward, { n4: vec4Count(count), bits }, bindings));
}
