/**
 * concat: places x [N, Cx, ...] at a channel offset of y [N, Cy, ...]; the backward slices it back out.
 * Planes of ROWS_MIN_INNER elements or more are copied by rows (forward_1_rows: 17% -> 62% of the copy bandwidth on
 * CNN-X's 75x75 maps under lavapipe); smaller ones, down to [N, C] (inner 1), one thread per element.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel } from './kernel.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';

const ROWS_WG = 64;
const ROWS_ITEMS = 8;
/** Below this a row leaves most of a rows workgroup's WG_X * ITEMS slots idle. */
export const ROWS_MIN_INNER = 256;

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

export const concatCopyRows = defineKernel({
  name: 'concat.forward_1_rows',
  shader: 'concat/forward_1_rows',
  bindings: concatCopy.bindings,
  params: [['rows', 'u32'], ['cx', 'u32'], ['cy', 'u32'], ['inner', 'u32'], ['offset', 'u32'], ['toY', 'u32']],
  workgroupSize: [ROWS_WG, 1, 1],
  constants: { ITEMS: ROWS_ITEMS },
  grid: (p, maxPerDim) => {
    const z = Math.ceil(p.rows / maxPerDim);
    return [Math.ceil(p.inner / (ROWS_WG * ROWS_ITEMS)), Math.ceil(p.rows / z), z];
  },
});

export const concatSliceRows = defineKernel({ ...concatCopyRows, name: 'concat.backward_1_rows' });

export type ConcatVariant = 'direct' | 'rows';

export function concatVariant(inner: number): ConcatVariant {
  return inner >= ROWS_MIN_INNER ? 'rows' : 'direct';
}

export interface ChannelSlice {
  batch: number;
  cx: number;
  cy: number;
  inner: number;
  offset: number;
}

/** y[:, offset:offset+cx] = x. `variant` is for tests and benchmarks. */
export function runConcatInto(gpu: Gpu, x: Binding, y: Binding, s: ChannelSlice, variant = concatVariant(s.inner)): void {
  run(gpu, 1, variant, s, [x, y]);
}

/** x = y[:, offset:offset+cx] */
export function runSliceChannels(gpu: Gpu, y: Binding, x: Binding, s: ChannelSlice, variant = concatVariant(s.inner)): void {
  run(gpu, 0, variant, s, [y, x]);
}

function run(gpu: Gpu, toY: 0 | 1, variant: ConcatVariant, s: ChannelSlice, buffers: [Binding, Binding]): void {
  const shape = { cx: s.cx, cy: s.cy, inner: s.inner, offset: s.offset, toY };
  if (variant === 'rows') gpu.run(toY ? concatCopyRows : concatSliceRows, { rows: s.batch * s.cx, ...shape }, buffers);
  else gpu.run(toY ? concatCopy : concatSlice, { n: s.batch * s.cx * s.inner, ...shape }, buffers);
}
