/**
 * matmul: C = op(A) op(B), or C += op(A) op(B), with op a transpose chosen per operand; the product behind linear.
 * Six variants compute the same thing (shaders/matmul/forward_<n>_<name>.wgsl, checked by one test):
 * - naive: one thread per element of C, the reference;
 * - tiled: workgroup-memory tiles with a 4 x 4 register tile per thread, for square-ish shapes on GPUs;
 * - splitk: a small C with a long K (the fc layer's forward): many workgroups each reduce one K chunk, and
 *   sum_splits adds the partial matrices in split order (deterministic, no thread walks all of K);
 * - columns: a thread per 4 columns of C with up to 16 rows in registers, straight from global memory: the
 *   outer-product kernel of a short K (linear's dw reduces over the batch, dx over the classes), and the fastest
 *   square-ish kernel under lavapipe, where workgroup memory is ordinary memory;
 * - columns_vec4: columns with B and C moved 4 floats per instruction, when B is not transposed and aligned; with a
 *   short K each thread takes several vec4 columns, so each broadcast load of A feeds more FMAs;
 * - outer: columns_vec4's case of an A of at most 16 rows of exactly 4 values (op(A) [N <= 16, 4] or [4, N]: a
 *   4-class linear layer's dx and dw), A shared through the subgroup, one vec4 column of C a thread (needs subgroups).
 * Operands are bindings (whole buffers or byte ranges) plus an element offset and row stride, so callers can
 * process a matrix larger than one storage binding in row slices.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid, type KernelSpec } from './kernel.js';

export type MatmulVariant = 'naive' | 'tiled' | 'splitk' | 'columns' | 'columns_vec4' | 'outer';

export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['naive', 'tiled', 'splitk', 'columns', 'columns_vec4', 'outer'];

/** A matrix inside a binding: element `offset`, row stride `ld` as stored; `trans` when stored transposed. */
export interface MatrixOperand {
  binding: Binding;
  offset?: number;
  ld: number;
  trans?: boolean;
}

/** C is [rows, cols]; op(A) is [rows, depth]; op(B) is [depth, cols]. */
export interface MatmulDims {
  rows: number;
  cols: number;
  depth: number;
}

export interface MatmulOptions {
  /** Add the product to C instead of overwriting it. */
  accumulate?: boolean;
  /** Force a variant (tests, benchmarks); by default chosen from the shape. */
  variant?: MatmulVariant;
  /** K per split for the variants that split K (naive, tiled, splitk); by default chosen from the shape. */
  kChunk?: number;
}

type MatmulParam =
  | 'rows' | 'cols' | 'depth' | 'lda' | 'ldb' | 'ldc' | 'offA' | 'offB' | 'offC'
  | 'kChunk' | 'splits' | 'splitStride' | 'accumulate';

const PARAMS: readonly (readonly [MatmulParam, 'u32'])[] = (
  ['rows', 'cols', 'depth', 'lda', 'ldb', 'ldc', 'offA', 'offB', 'offC', 'kChunk', 'splits', 'splitStride', 'accumulate'] as const
).map((name) => [name, 'u32'] as const);

const BINDINGS = [
  { name: 'a', access: 'read' },
  { name: 'b', access: 'read' },
  { name: 'c', access: 'read_write' },
] as const;

const NAIVE_WG = 64;
const SPLITK_WG = 64;
const COLUMNS_WG = 64;
const COLUMNS_ROW_BLOCK = 64;
const OUTER_WG = 128;
/** The most stored rows of A the outer variant holds: 2 vec4s a lane of a subgroup of 8. */
const OUTER_MAX_ROWS = 16;
const TILE_K = 16;
/** Workgroup shapes of the tiled variant: 64 x 64 tiles, or 16 x 64 when C has at most 16 rows (batch-sized). */
const TILED_WG = { square: [16, 16, 1], short: [16, 4, 1] } as const;

/**
 * K per workgroup of the splitk variant: K / 6 on a software device, whose two cores a few dozen workgroups fill (with
 * the fc layer's 4 row tiles, 24; lavapipe, x [15, 360000] times w^T, 6 against 22 splits: 3.6-4.1 against 4.3 ms);
 * K / 128 on a hardware GPU, where 22 workgroups (the fc layer's K of 360,000 in 16,384 chunks) left an H100 almost
 * idle (0.18 ms for 27 MB; in 256 splits 0.034 ms, but then sum_splits, a thread adding a C entry's splits one after
 * another, took 0.058); kept between 64 threads x 4 (hardware) or 16 steps and x 256 (hardware) or 1,024 steps.
 */
const SPLITK_SPLITS = { software: 6, hardware: 128 };
const SPLITK_MAX_CHUNK = { software: SPLITK_WG * 1024, hardware: SPLITK_WG * 256 };
const SPLITK_MIN_CHUNK = { software: SPLITK_WG * 16, hardware: SPLITK_WG * 4 };
/** K up to which a product is a few outer products (the columns variants, on any device). */
const SHORT_DEPTH = 32;
/**
 * K up to which columns_vec4 runs its loop over K unrolled (K an override, one pipeline per K): linear's dx (K 4) 8.6
 * -> 6.7 ms on lavapipe, whose compiler leaves a loop to a uniform bound rolled; its dw (K 15) ran 6.4 -> 7.3 unrolled.
 */
const UNROLLED_DEPTH = 4;
/**
 * Below this many columns-variant threads, a long K is split instead (the fc layer: C is 15 x 4, one thread). On a
 * software device a few dozen threads already fill its cores: lavapipe, K 2048, 'columns' against 'splitk' (as linear
 * runs it), ms: ImageNet's 1,000-class head at batch 1 3.8 against 4.7, at batch 15 7.9 against 14.5, ResNet-18's
 * (K 512) 0.87 against 1.83; 256 columns at batch 15 3.7 against 4.5, 64 columns 1.0 against 1.6; 128 at batch 1 (32
 * threads) 0.98 against 0.72. A hardware GPU keeps 256 (not measured there).
 */
const MIN_COLUMN_THREADS = { software: 64, hardware: 256 };

const specs = new Map<string, KernelSpec<MatmulParam>>();

/** Rows of C per register tile in the splitk and columns variants: the whole batch when it is at most 16. */
function tileRows(rows: number): 4 | 8 | 16 {
  return rows <= 4 ? 4 : rows <= 8 ? 8 : 16;
}

/**
 * splitk's rows per register tile. On a software device 4, whatever the batch: a thread's 4 vec4 sums and the 4
 * columns' quads of B fit the CPU's vector registers, where 8 or 16 rows' sums are kept in memory and every update
 * of one reloads and stores it. B is then read once per row tile, the later times from cache: lavapipe, the fc
 * layer's x [15, 360000] times w^T, 12.1-12.8 ms as one tile of 16 rows, 7.6-7.8 as tiles of 8, 3.6-4.1 as tiles
 * of 4 (each at its best K chunk). A hardware GPU keeps the whole batch in one tile (not measured there).
 */
function splitkTileRows(rows: number, software: boolean): 4 | 8 | 16 {
  return software ? 4 : tileRows(rows);
}

/**
 * columns_vec4's register tile, TM rows x CPT vec4 columns (16 vec4 accumulators): one vec4 column and all rows for a
 * long K (B is then too large to read more than once), else the tile with the fewest loads per vec4 column of C:
 * each of ceil(rows / TM) passes loads depth x (TM values of A + CPT vec4s of B) for CPT columns (linear's dw, 4 rows
 * and K 15: 4 x 4). An unrolled K is measured instead.
 */
function columnsVec4Tile(rows: number, depth: number): { tm: number; cpt: number } {
  if (depth > SHORT_DEPTH) return { tm: tileRows(rows), cpt: 1 };
  // Unrolled, the load count stops deciding: linear's dx ran 6.7 ms as 8 x 2, 6.9 as 4 x 2, 7.8 as 4 x 4, 8.0 as 16 x 1.
  if (depth <= UNROLLED_DEPTH && rows > 4) return { tm: 8, cpt: 2 };
  const loads = ({ tm, cpt }: { tm: number; cpt: number }): number => (Math.ceil(rows / tm) * (tm + cpt)) / cpt;
  const tiles = [{ tm: 16, cpt: 1 }, { tm: 8, cpt: 2 }, { tm: 4, cpt: 4 }].filter((t) => t.tm <= tileRows(rows));
  return tiles.reduce((best, t) => (loads(t) < loads(best) ? t : best));
}

/** columns_vec4's DEPTH override: K where the loop over it is unrolled, else 0 (the loop runs to Params.depth). */
function unrolledDepth(depth: number): number {
  return depth <= UNROLLED_DEPTH ? depth : 0;
}

/** The part of a variant's kernel name (and cache key) that its tile adds: what changes the shader's constants. */
function specShape(
  variant: MatmulVariant,
  rows: number,
  depth: number,
  vec4Tile: { tm: number; cpt: number },
  software: boolean,
): string {
  if (variant === 'naive') return '';
  if (variant === 'outer') return `_${rows}x${depth}`;
  if (variant === 'tiled') return rows <= 16 ? '_short' : '';
  if (variant === 'columns_vec4') {
    return `_tm${vec4Tile.tm}${vec4Tile.cpt > 1 ? `_c${vec4Tile.cpt}` : ''}${unrolledDepth(depth) ? `_k${depth}` : ''}`;
  }
  return `_tm${variant === 'splitk' ? splitkTileRows(rows, software) : tileRows(rows)}`;
}

/**
 * The kernel for a variant and shape on a software device or not; `quads`: its vec4 views are read (splitk's
 * K_QUADS, columns_vec4's A_QUADS).
 */
function matmulSpec(
  variant: MatmulVariant,
  transA: boolean,
  transB: boolean,
  rows: number,
  depth: number,
  software: boolean,
  quads = false,
): KernelSpec<MatmulParam> {
  const vec4Tile = columnsVec4Tile(rows, depth);
  const shape = specShape(variant, rows, depth, vec4Tile, software) + (quads ? '_q4' : '');
  const key = `${variant}_${transA ? 't' : 'n'}${transB ? 't' : 'n'}${shape}`;
  let spec = specs.get(key);
  if (spec) return spec;
  const constants = { TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 };
  const common = { name: `matmul.${key}`, bindings: BINDINGS, params: PARAMS };
  if (variant === 'naive') {
    spec = defineKernel({
      ...common,
      shader: 'matmul/forward_1_naive',
      constants,
      workgroupSize: [NAIVE_WG, 1, 1],
      grid: (p, max) => {
        const [x, y] = linearGrid(Math.ceil((p.rows * p.cols) / NAIVE_WG), max);
        return [x, y, p.splits];
      },
    });
  } else if (variant === 'tiled') {
    const wg = rows <= 16 ? TILED_WG.short : TILED_WG.square;
    spec = defineKernel({
      ...common,
      shader: 'matmul/forward_2_tiled',
      constants: { ...constants, BK: TILE_K },
      workgroupSize: wg,
      grid: (p) => [Math.ceil(p.cols / (wg[0] * 4)), Math.ceil(p.rows / (wg[1] * 4)), p.splits],
    });
  } else if (variant === 'splitk') {
    const tm = splitkTileRows(rows, software);
    spec = defineKernel({
      ...common,
      bindings: [...BINDINGS, { name: 'a4', access: 'read' }, { name: 'b4', access: 'read' }],
      shader: 'matmul/forward_3_splitk',
      constants: { ...constants, TM: tm, K_QUADS: quads ? 1 : 0 },
      workgroupSize: [SPLITK_WG, 1, 1],
      grid: (p, max) => {
        const [x, y] = linearGrid(Math.ceil(p.cols / 4) * Math.ceil(p.rows / tm), max);
        return [x, y, p.splits];
      },
    });
  } else if (variant === 'outer') {
    spec = defineKernel({
      ...common,
      bindings: [{ name: 'a4', access: 'read' }, BINDINGS[1], BINDINGS[2]],
      shader: 'matmul/forward_6_outer',
      constants: { TRANS_A: constants.TRANS_A, OUTER: transA ? depth : rows },
      workgroupSize: [OUTER_WG, 1, 1],
      grid: (p, max) => linearGrid(Math.ceil(p.cols / (4 * OUTER_WG)), max),
    });
  } else if (variant === 'columns') {
    spec = defineKernel({
      ...common,
      shader: 'matmul/forward_4_columns',
      constants: { ...constants, TM: tileRows(rows), ROW_BLOCK: COLUMNS_ROW_BLOCK },
      workgroupSize: [COLUMNS_WG, 1, 1],
      grid: (p, max) => {
        const [x, y] = linearGrid(Math.ceil(p.cols / (4 * COLUMNS_WG)), max);
        return [x, y, Math.ceil(p.rows / COLUMNS_ROW_BLOCK)];
      },
    });
  } else {
    const { tm, cpt } = vec4Tile;
    spec = defineKernel({
      ...common,
      bindings: [...BINDINGS, { name: 'a4', access: 'read' }],
      shader: 'matmul/forward_5_columns_vec4',
      constants: {
        ...constants, TM: tm, CPT: cpt, ROW_BLOCK: COLUMNS_ROW_BLOCK, DEPTH: unrolledDepth(depth),
        A_QUADS: quads ? 1 : 0,
      },
      workgroupSize: [COLUMNS_WG, 1, 1],
      grid: (p, max) => {
        const [x, y] = linearGrid(Math.ceil(p.cols / (4 * cpt * COLUMNS_WG)), max);
        return [x, y, Math.ceil(p.rows / COLUMNS_ROW_BLOCK)];
      },
    });
  }
  specs.set(key, spec);
  return spec;
}

export const matmulSumSplits = defineKernel({
  name: 'matmul.sum_splits',
  shader: 'matmul/sum_splits',
  bindings: [
    { name: 'partials', access: 'read' },
    { name: 'c', access: 'read_write' },
  ],
  params: [['rows', 'u32'], ['cols', 'u32'], ['splits', 'u32'], ['ldc', 'u32'], ['offC', 'u32'], ['accumulate', 'u32']],
  workgroupSize: [NAIVE_WG, 1, 1],
  grid: (p, max) => linearGrid(Math.ceil((p.rows * p.cols) / NAIVE_WG), max),
});

/** A product `cnnx tune` times: what a matmul records while kernel choices are collecting. */
export interface MatmulChoiceShape {
  op: 'matmul';
  dims: MatmulDims;
  transA: boolean;
  transB: boolean;
}

/** The kernel-choice key of a product: readable, since people read the tuned table. */
export function matmulChoiceKey(dims: MatmulDims, transA: boolean, transB: boolean): string {
  const ops = `${transA ? 't' : 'n'}${transB ? 't' : 'n'}`;
  return `matmul.${ops} [${dims.rows}, ${dims.depth}] x [${dims.depth}, ${dims.cols}]`;
}

/** Whether `variant` handles these operands on `gpu` (columns_vec4 and outer need aligned vec4s; outer subgroups). */
export function matmulVariantApplies(
  variant: MatmulVariant,
  d: MatmulDims,
  a: MatrixOperand,
  b: MatrixOperand,
  c: MatrixOperand,
  gpu: { hasSubgroups: boolean },
): boolean {
  if (variant === 'columns_vec4') return vec4Aligned(d, b, c);
  if (variant === 'outer') return gpu.hasSubgroups && outerApplies(d, a, b, c);
  return MATMUL_VARIANTS.includes(variant);
}

/** The device's tuned variant for this product when it has one that applies (recording the shape while collecting). */
function tunedMatmulVariant(
  gpu: Gpu,
  d: MatmulDims,
  a: MatrixOperand,
  b: MatrixOperand,
  c: MatrixOperand,
): MatmulVariant | undefined {
  const choices = gpu.kernelChoices;
  if (!choices?.active) return undefined;
  const transA = a.trans === true;
  const transB = b.trans === true;
  const key = matmulChoiceKey(d, transA, transB);
  const shape: MatmulChoiceShape = { op: 'matmul', dims: { ...d }, transA, transB };
  if (choices.collecting) choices.record(key, shape);
  const tuned = choices.lookup(key) as MatmulVariant | undefined;
  return tuned !== undefined && matmulVariantApplies(tuned, d, a, b, c, gpu) ? tuned : undefined;
}

/**
 * The variant the shape calls for: a short K streams through the columns variants; a long K with too few columns
 * to fill the device splits; the rest tiles in workgroup memory on a GPU and uses the columns variants under a
 * software rasteriser (2-3x faster there on VGG's classifier, see bench/linear.ts).
 */
export function chooseMatmulVariant(
  d: MatmulDims,
  a: MatrixOperand,
  b: MatrixOperand,
  c: MatrixOperand,
  gpu: { isSoftware: boolean; hasSubgroups: boolean },
): MatmulVariant {
  const software = gpu.isSoftware;
  if (gpu.hasSubgroups && software && outerApplies(d, a, b, c)) return 'outer';
  const columns = vec4Aligned(d, b, c) ? 'columns_vec4' : 'columns';
  if (d.depth <= SHORT_DEPTH) return columns;
  const minThreads = software ? MIN_COLUMN_THREADS.software : MIN_COLUMN_THREADS.hardware;
  if (Math.ceil(d.cols / 4) * Math.ceil(d.rows / COLUMNS_ROW_BLOCK) < minThreads) return 'splitk';
  return software ? columns : 'tiled';
}

/** Whether B and C can be moved as vec4s: B not transposed, and every column offset a multiple of 4 floats. */
function vec4Aligned(d: MatmulDims, b: MatrixOperand, c: MatrixOperand): boolean {
  return (
    !b.trans &&
    [d.cols, b.ld, c.ld, b.offset ?? 0, c.offset ?? 0, bindingOffset(b), bindingOffset(c)].every((v) => v % 4 === 0)
  );
}

/**
 * Whether the outer variant takes the product: B and C as columns_vec4 needs them, and A stored as at most 16 rows
 * of exactly 4 values (K = 4, or 4 rows of C with A transposed) that are aligned vec4s.
 */
function outerApplies(d: MatmulDims, a: MatrixOperand, b: MatrixOperand, c: MatrixOperand): boolean {
  const storedRows = a.trans ? d.depth : d.rows;
  const quad = a.trans ? d.rows === 4 : d.depth === 4;
  const aligned = [a.ld, a.offset ?? 0, bindingOffset(a)].every((v) => v % 4 === 0);
  return quad && storedRows >= 1 && storedRows <= OUTER_MAX_ROWS && aligned && vec4Aligned(d, b, c);
}

/**
 * Whether splitk can read 4 consecutive k of A and B as one vec4 each (K_QUADS): both stored with K contiguous (A
 * not transposed, B transposed), and K, the chunks, strides and offsets multiples of 4.
 */
function kQuadsAligned(d: MatmulDims, a: MatrixOperand, b: MatrixOperand, kChunk: number): boolean {
  if (a.trans || !b.trans || d.depth === 0) return false;
  const offsets = [a.offset ?? 0, b.offset ?? 0, bindingOffset(a), bindingOffset(b)];
  return [d.depth, kChunk, a.ld, b.ld, ...offsets].every((v) => v % 4 === 0);
}

/**
 * Whether columns_vec4 can read a row of A as one vec4 (A_QUADS): K unrolled at 4, A not transposed, its row stride
 * and offsets multiples of 4. Linear's dx (dy [N, 4] times w) loads each dy value once a row instead of once a k.
 */
function rowQuadsOfA(d: MatmulDims, a: MatrixOperand): boolean {
  return unrolledDepth(d.depth) === 4 && !a.trans && [a.ld, a.offset ?? 0, bindingOffset(a)].every((v) => v % 4 === 0);
}

function bindingOffset(m: MatrixOperand): number {
  return 'offset' in m.binding ? m.binding.offset / 4 : 0;
}

/** K per split: splitk always chunks; tiled splits only when C has too few tiles to keep the device busy. */
function defaultChunk(variant: MatmulVariant, d: MatmulDims, software: boolean): number {
  if (variant === 'splitk') {
    const device = software ? 'software' : 'hardware';
    const even = Math.ceil(d.depth / SPLITK_SPLITS[device] / SPLITK_WG) * SPLITK_WG;
    return Math.max(SPLITK_MIN_CHUNK[device], Math.min(SPLITK_MAX_CHUNK[device], even));
  }
  if (variant === 'tiled') {
    const wg = d.rows <= 16 ? TILED_WG.short : TILED_WG.square;
    const tiles = Math.ceil(d.cols / (wg[0] * 4)) * Math.ceil(d.rows / (wg[1] * 4));
    const splits = Math.min(Math.ceil(16 / tiles), Math.floor(d.depth / 2048));
    if (splits > 1) return Math.ceil(d.depth / splits / TILE_K) * TILE_K;
  }
  return Math.max(1, d.depth);
}

/** Records C = op(A) op(B) (or C += it); a split product also records its deterministic final sum. */
export function runMatmul(
  gpu: Gpu,
  a: MatrixOperand,
  b: MatrixOperand,
  c: MatrixOperand,
  dims: MatmulDims,
  options: MatmulOptions = {},
): void {
  const { rows, cols, depth } = dims;
  if (c.trans) throw new RangeError('matmul: C cannot be stored transposed');
  checkOperand('A', a, a.trans ? depth : rows, a.trans ? rows : depth);
  checkOperand('B', b, b.trans ? cols : depth, b.trans ? depth : cols);
  checkOperand('C', c, rows, cols);
  if (rows === 0 || cols === 0) return;
  const accumulate = options.accumulate ? 1 : 0;
  const variant = options.variant ?? tunedMatmulVariant(gpu, dims, a, b, c) ?? chooseMatmulVariant(dims, a, b, c, gpu);
  if (variant === 'columns_vec4' && !vec4Aligned(dims, b, c)) {
    throw new RangeError('matmul: columns_vec4 needs B not transposed and cols, strides and offsets multiples of 4');
  }
  if (variant === 'outer' && !(gpu.hasSubgroups && outerApplies(dims, a, b, c))) {
    throw new RangeError(
      'matmul: outer needs subgroups, A as at most 16 aligned rows of 4 (K = 4, or 4 rows of C with A transposed) ' +
        'and B, C as columns_vec4 takes them',
    );
  }
  if (variant === 'outer') {
    gpu.run(
      matmulSpec(variant, a.trans === true, false, rows, depth, gpu.isSoftware),
      { rows, cols, depth, lda: a.ld, ldb: b.ld, ldc: c.ld, offA: a.offset ?? 0, offB: b.offset ?? 0,
        offC: c.offset ?? 0, kChunk: depth, splits: 1, splitStride: 0, accumulate },
      [a.binding, b.binding, c.binding],
    );
    return;
  }
  const splitting = variant === 'naive' || variant === 'tiled' || variant === 'splitk';
  const kChunk = splitting ? options.kChunk ?? defaultChunk(variant, dims, gpu.isSoftware) : Math.max(1, depth);
  // Vec4 views where aligned: splitk's A and B 4 k at a time (K_QUADS), columns_vec4's rows of A (A_QUADS).
  const kQuads = variant === 'splitk' && kQuadsAligned(dims, a, b, kChunk);
  const aQuads = variant === 'columns_vec4' && rowQuadsOfA(dims, a);
  const spec = matmulSpec(variant, a.trans === true, b.trans === true, rows, depth, gpu.isSoftware, kQuads || aQuads);
  // Views their override leaves unread still need bindings of 16 bytes or more (a slice of A or B may be smaller).
  const views = variant === 'splitk' ? 2 : variant === 'columns_vec4' ? 1 : 0;
  const unread = views > 0 && !kQuads && !aQuads ? gpu.alloc(16, `matmul.${variant}:unread`) : null;
  const quadViews = kQuads ? [a.binding, b.binding] : aQuads ? [a.binding] : Array<Binding>(views).fill(unread!);
  const splits = Math.max(1, Math.ceil(depth / kChunk));
  const base = {
    rows, cols, depth, lda: a.ld, ldb: b.ld, offA: a.offset ?? 0, offB: b.offset ?? 0, kChunk, splits,
  };
  if (splits === 1) {
    const bindings = [a.binding, b.binding, c.binding, ...quadViews];
    gpu.run(spec, { ...base, ldc: c.ld, offC: c.offset ?? 0, splitStride: 0, accumulate }, bindings);
    if (unread) gpu.free(unread);
    return;
  }
  const partials = gpu.alloc(splits * rows * cols * 4, `${spec.name}:partials`);
  const bindings = [a.binding, b.binding, partials, ...quadViews];
  gpu.run(spec, { ...base, ldc: cols, offC: 0, splitStride: rows * cols, accumulate: 0 }, bindings);
  if (unread) gpu.free(unread);
  gpu.run(matmulSumSplits, { rows, cols, splits, ldc: c.ld, offC: c.offset ?? 0, accumulate }, [partials, c.binding]);
  gpu.free(partials); // later users of this pooled buffer are recorded after the sum, so they run after it
}

function checkOperand(role: string, m: MatrixOperand, storedRows: number, storedCols: number): void {
  const offset = m.offset ?? 0;
  const elements = m.binding.size / 4;
  const extent = storedRows === 0 || storedCols === 0 ? 0 : offset + (storedRows - 1) * m.ld + storedCols;
  if (m.ld < storedCols || !Number.isInteger(offset) || offset < 0 || extent > elements) {
    throw new RangeError(
      `matmul: ${role} stored [${storedRows}, ${storedCols}] with row stride ${m.ld} from element ${offset} ` +
        `does not fit its binding of ${elements} elements`,
    );
  }
}
