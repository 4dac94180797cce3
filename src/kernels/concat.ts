/**
 * concat: places x [N, Cx, ...] at a channel offset of y [N, Cy, ...]; the backward slices it back out.
 * Where each sample's run of Cx planes starts and ends on a vec4 in x and y, it is copied as vec4s
 * (forward_2_blocks); else planes of ROWS_MIN_INNER elements or more are copied by rows (forward_1_rows: 17% -> 62%
 * of the copy bandwidth on CNN-X's 75x75 maps under lavapipe); smaller ones, down to [N, C] (inner 1), one thread
 * per element.
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

/** Workgroups for `rows` runs of `length` elements, WG_X * ITEMS of a run each: rows past maxPerDim go to z. */
function rowsGrid(rows: number, length: number, maxPerDim: number): [number, number, number] {
  const z = Math.ceil(rows / maxPerDim);
  return [Math.ceil(length / (ROWS_WG * ROWS_ITEMS)), Math.ceil(rows / z), z];
}

export const concatCopyRows = defineKernel({
  name: 'concat.forward_1_rows',
  shader: 'concat/forward_1_rows',
  bindings: concatCopy.bindings,
  params: [['rows', 'u32'], ['cx', 'u32'], ['cy', 'u32'], ['inner', 'u32'], ['offset', 'u32'], ['toY', 'u32']],
  workgroupSize: [ROWS_WG, 1, 1],
  constants: { ITEMS: ROWS_ITEMS },
  grid: (p, maxPerDim) => rowsGrid(p.rows, p.inner, maxPerDim),
});

export const concatSliceRows = defineKernel({ ...concatCopyRows, name: 'concat.backward_1_rows' });

export const concatCopyBlocks = defineKernel({
  name: 'concat.forward_2_blocks',
  shader: 'concat/forward_2_blocks',
  bindings: concatCopy.bindings,
  params: [['rows', 'u32'], ['block', 'u32'], ['yStride', 'u32'], ['yOffset', 'u32'], ['toY', 'u32']],
  workgroupSize: [ROWS_WG, 1, 1],
  constants: { ITEMS: ROWS_ITEMS },
  grid: (p, maxPerDim) => rowsGrid(p.rows, p.block, maxPerDim),
});

export const concatSliceBlocks = defineKernel({ ...concatCopyBlocks, name: 'concat.backward_2_blocks' });

export type ConcatVariant = 'direct' | 'rows' | 'blocks';

/** The fastest variant that applies: 'blocks' where a sample's run is whole vec4s in x and y, else by plane size. */
export function concatVariant(s: ChannelSlice): ConcatVariant {
  if (concatBlocksApply(s)) return 'blocks';
  return s.inner >= ROWS_MIN_INNER ? 'rows' : 'direct';
}

/** Whether forward_2_blocks takes the slice: each sample's run starts and ends on a vec4 in x and in y. */
export function concatBlocksApply(s: ChannelSlice): boolean {
  return (s.cx * s.inner) % 4 === 0 && (s.cy * s.inner) % 4 === 0 && (s.offset * s.inner) % 4 === 0;
}

export interface ChannelSlice {
  batch: number;
  cx: number;
  cy: number;
  inner: number;
  offset: number;
}

/** y[:, offset:offset+cx] = x. `variant` is for tests and benchmarks. */
export function runConcatInto(gpu: Gpu, x: Binding, y: Binding, s: ChannelSlice, variant = concatVariant(s)): void {
  run(gpu, 1, variant, s, [x, y]);
}

/** x = y[:, offset:offset+cx] */
export function runSliceChannels(gpu: Gpu, y: Binding, x: Binding, s: ChannelSlice, variant = concatVariant(s)): void {
  run(gpu, 0, variant, s, [y, x]);
}

function run(gpu: Gpu, toY: 0 | 1, variant: ConcatVariant, s: ChannelSlice, buffers: [Binding, Binding]): void {
  if (variant === 'blocks') {
    if (!concatBlocksApply(s)) throw new RangeError(`concat: variant 'blocks' does not take ${JSON.stringify(s)}`);
    const quads = (channels: number) => (channels * s.inner) / 4;
    const blocks = { rows: s.batch, block: quads(s.cx), yStride: quads(s.cy), yOffset: quads(s.offset), toY };
    gpu.run(toY ? concatCopyBlocks : concatSliceBlocks, blocks, buffers);
    return;
  }
  const shape = { cx: s.cx, cy: s.cy, inner: s.inner, offset: s.offset, toY };
  if (variant === 'rows') gpu.run(toY ? concatCopyRows : concatSliceRows, { rows: s.batch * s.cx, ...shape }, buffers);
  else gpu.run(toY ? concatCopy : concatSlice, { n: s.batch * s.cx * s.inner, ...shape }, buffers);
}
