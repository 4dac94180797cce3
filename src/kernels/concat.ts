/** concat: places x [N, Cx, ...] at a channel offset of y [N, Cy, ...]; the backward slices it back out. */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel } from './kernel.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';

export const concatCopy = defineKernel({
  name: 'concat.forward',
  shader: 'concat/forward',
  bindings: [
    { name: 'src', access: 'read' },
    { name: 'dst', access: 'read_write' },
  ],
  params: [['n', 'u32'], ['cx', 'u32'], ['cy', 'u32'], ['inner', 'u32'], ['offset', 'u32'], ['toY', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: elementwiseGrid,
});

/** The same shader run backward (toY = 0), named for what it does so a profile tells the passes apart. */
export const concatSlice = defineKernel({ ...concatCopy, name: 'concat.backward' });

export interface ChannelSlice {
  batch: number;
  cx: number;
  cy: number;
  inner: number;
  offset: number;
}

/** y[:, offset:offset+cx] = x */
export function runConcatInto(gpu: Gpu, x: Binding, y: Binding, s: ChannelSlice): void {
  gpu.run(concatCopy, { n: s.batch * s.cx * s.inner, cx: s.cx, cy: s.cy, inner: s.inner, offset: s.offset, toY: 1 }, [x, y]);
}

/** x = y[:, offset:offset+cx] */
export function runSliceChannels(gpu: Gpu, y: Binding, x: Binding, s: ChannelSlice): void {
  gpu.run(concatSlice, { n: s.batch * s.cx * s.inner, cx: s.cx, cy: s.cy, inner: s.inner, offset: s.offset, toY: 0 }, [y, x]);
}
