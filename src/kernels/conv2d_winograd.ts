/**
 * conv2d's variant 'winograd': Winograd's F(4x4, 3x3) for 3x3 convs at stride 1 without dilation or groups (ResNet's,
 * VGG's, most of a backbone's FLOPs), forward (and so the input gradients, which run as such a forward) and weight
 * gradient. The forward is three small passes around a batched matrix product (shaders/conv2d/forward_8_winograd_*):
 * the weights' 6x6 transforms U, the inputs' 6x6 patch transforms V, then for each of the 36 transform points xi the
 * product U_xi V_xi, run as a grouped 1x1 conv by the pointwise forward, and the output transform with the bias and the
 * epilogue. The weight gradient (backward_weight_7_winograd_*) transforms x the same way and dy's 4x4 tiles to 6x6,
 * sums their products over the tiles as another grouped 1x1 conv forward (the tiles its K, x's channels its pixels),
 * and turns each 6x6 sum back into a 3x3 gradient. The products do 36 multiply-adds per 4x4 tile, input and output
 * channel where the direct conv does 144; the transforms move each element a few times (the intermediates are 36/16 the
 * size of the input and output). Where the intermediates of the whole batch exceed one storage binding (VGG's 224 x 224
 * and 112 x 112 layers, Inception's 147 x 147 and 71 x 71 ones at batch 15), the batch goes through in chunks of whole
 * images that fit, the weight gradient's sums added chunk after chunk. Rounding: relative differences from the direct
 * kernels of about 1e-6 at ResNet-50's shapes; the fixtures' 1e-4 relative bound holds with room.
 */
import type { Binding, Gpu } from '../runtime/gpu.js';
import { defineKernel, linearGrid, memoize, type BindingSpec, type KernelSpec, type ParamValues } from './kernel.js';
import type { Conv2dGeometry } from './conv2d.js';
import { runAccumulate } from './add.js';

/** Output tile side (F(4x4, 3x3)), and the 36 transform points of its 6x6 input patches. */
const TILE = 4;
const POINTS = 36;
const WG = 64;

const read = (name: string): BindingSpec => ({ name, access: 'read' });
const written = (name: string): BindingSpec => ({ name, access: 'read_write' });
/** One thread per 4 tiles of a plane (the transforms of x, dy and the products), or per 4 kernels (of w, of dw). */
const byQuads = (p: ParamValues<'quads'>): number => p.quads;
const byKernelQuads = (p: ParamValues<'cin' | 'cout'>): number => (p.cin * p.cout) / 4;

/** A Winograd pass: shaders/conv2d/`shader`, u32 Params, WG threads a workgroup, `threads` threads. */
function winogradPass<P extends string>(
  shader: string,
  bindings: BindingSpec[],
  params: readonly P[],
  threads: (p: ParamValues<P>) => number,
  constants?: Record<string, number>,
): KernelSpec<P> {
  return defineKernel({
    name: `conv2d.${shader}`,
    shader: `conv2d/${shader}`,
    bindings,
    params: params.map((name) => [name, 'u32'] as const),
    workgroupSize: [WG, 1, 1],
    grid: (p, max) => linearGrid(Math.ceil(threads(p) / WG), max),
    ...(constants ? { constants } : {}),
  });
}

export const conv2dWinogradWeights = winogradPass(
  'forward_8_winograd_weights', [read('w'), written('u')], ['cin', 'cout'] as const, byKernelQuads);
export const conv2dWinogradInput = winogradPass('forward_8_winograd_input', [read('x'), written('v')],
  ['cin', 'h', 'w', 'padH', 'padW', 'tilesW', 'plane', 'quads'] as const, byQuads);
export const conv2dWinogradX = winogradPass('backward_weight_7_winograd_x', [read('x'), written('vt')],
  ['cin', 'h', 'w', 'padH', 'padW', 'tilesW', 'plane', 'quads'] as const, byQuads);
/** dy's tile transform; `rowQuads` (ow % 4 == 0) reads each tile row as one vec4 through a second binding of dy. */
const winogradDy = (rowQuads: boolean) =>
  winogradPass('backward_weight_7_winograd_dy', [read('dy'), written('out'), read('dy4')],
    ['cout', 'oh', 'ow', 'tilesW', 'plane', 'tiles', 'quads'] as const, byQuads, { ROW_QUADS: rowQuads ? 1 : 0 });
export const conv2dWinogradDy = winogradDy(false);
export const conv2dWinogradDyQuads = winogradDy(true);
export const conv2dWinogradWeightOutput = winogradPass(
  'backward_weight_7_winograd_output', [read('d'), written('dw')], ['cin', 'cout'] as const, byKernelQuads);

/** The winograd output pass with this epilogue (affine: 0 none, 1 batch norm, 2 with its ReLU), built once. */
const winogradOutput = memoize((affine: number, residual: number) =>
  winogradPass('forward_8_winograd_output', [read('m'), read('b'), written('y'), read('stats'), read('res')],
    ['cout', 'oh', 'ow', 'tilesW', 'plane', 'hasBias', 'quads'] as const, byQuads,
    { AFFINE: affine, RESIDUAL: residual }));

/** How a forward's output is cut into tiles, and the geometry of the 36 grouped products between the transforms. */
export interface WinogradLayout {
  tilesH: number;
  tilesW: number;
  /** Tiles per image, rounded up to a multiple of 4 (the product reads them as vec4s). */
  plane: number;
  /** The batched product: 36 groups of a 1x1 conv from cin to cout channels over `plane` tiles an image. */
  product: Conv2dGeometry;
}

/** Tiles per image, rounded up to a multiple of 4. */
function tilePlane(g: Conv2dGeometry): number {
  return Math.ceil((Math.ceil(g.oh / TILE) * Math.ceil(g.ow / TILE)) / 4) * 4;
}

export function winogradLayout(g: Conv2dGeometry): WinogradLayout {
  const tilesH = Math.ceil(g.oh / TILE);
  const tilesW = Math.ceil(g.ow / TILE);
  const plane = tilePlane(g);
  const product: Conv2dGeometry = {
    batch: g.batch, cin: POINTS * g.cin, h: 1, w: plane, cout: POINTS * g.cout, kh: 1, kw: 1, oh: 1, ow: plane,
    strideH: 1, strideW: 1, padH: 0, padW: 0, dilH: 1, dilW: 1, groups: POINTS,
  };
  return { tilesH, tilesW, plane, product };
}

/**
 * Images a chunk of the batch takes: the most whose intermediates (transformed inputs, dy or products, 36/16 of an
 * image's tiles a channel each) fit one storage binding, at most the batch. 0 when one image's do not.
 */
function imagesPerChunk(g: Conv2dGeometry, maxBindingBytes: number): number {
  return Math.min(g.batch, Math.floor(maxBindingBytes / (4 * POINTS * Math.max(g.cin, g.cout) * tilePlane(g))));
}

/**
 * Whether the winograd variant (forward or weight gradient) handles `g`: a 3x3 kernel at stride 1 without dilation
 * or groups (any padding), cin * cout a multiple of 4, the transformed weights or their gradient's sums within one
 * storage binding, and the other intermediates of at least one image (they go in chunks of the batch that fit).
 */
export function winogradApplies(g: Conv2dGeometry, maxBindingBytes: number): boolean {
  if (g.kh !== 3 || g.kw !== 3 || g.strideH !== 1 || g.strideW !== 1 || g.dilH !== 1 || g.dilW !== 1) return false;
  // The weights' pass moves 4 kernels a thread.
  if (g.groups !== 1 || (g.cin * g.cout) % 4 !== 0) return false;
  return 4 * POINTS * g.cin * g.cout <= maxBindingBytes && imagesPerChunk(g, maxBindingBytes) > 0;
}

/**
 * Calls `run(count, start)` for consecutive chunks [start, start + count) of the batch (one call when the
 * intermediates of the whole batch fit one binding), each at most `per` images.
 */
function forEachChunk(batch: number, per: number, run: (count: number, start: number) => void): void {
  for (let start = 0; start < batch; start += per) run(Math.min(per, batch - start), start);
}

/** A chunk's binding of a batched operand, and what to do once the chunk's passes are recorded. */
interface Chunk {
  binding: Binding;
  finish: () => void;
}

/**
 * Images [start, start + count) of a batched operand of `batch` images of `imageBytes` each: the operand itself for
 * the whole batch, else its byte range where that starts at a multiple of the offset alignment, else a scratch copy
 * (filled first where the chunk reads it, copied back by `finish` where it writes it), as batch slices do.
 */
function chunkOf(
  gpu: Gpu,
  operand: Binding,
  imageBytes: number,
  [start, count, batch]: [number, number, number],
  access: 'read' | 'write',
): Chunk {
  if (count === batch) return { binding: operand, finish: () => {} };
  const buffer = 'buffer' in operand ? operand.buffer : operand;
  const offset = ('buffer' in operand ? operand.offset : 0) + start * imageBytes;
  const size = count * imageBytes;
  if (offset % gpu.limits.minStorageBufferOffsetAlignment === 0) {
    return { binding: { buffer, offset, size }, finish: () => {} };
  }
  const scratch = gpu.alloc(size, `conv2d.winograd:chunk ${access === 'read' ? 'in' : 'out'}`);
  if (access === 'read') gpu.copy(buffer, offset, scratch, 0, size);
  const finish = (): void => {
    if (access === 'write') gpu.copy(scratch, 0, buffer, offset, size);
    gpu.free(scratch);
  };
  return { binding: scratch, finish };
}

/**
 * Runs the batched products as one grouped 1x1 conv forward of `input` by `weights` into `output` (the pointwise
 * forward; conv2d.ts passes it in, since this module cannot import that one).
 */
export type WinogradProduct =
  (input: GPUBuffer, weights: GPUBuffer, output: GPUBuffer, geometry: Conv2dGeometry) => void;

/** What the output pass applies as it stores (see affine_epilogue.wgsl); buffers fill the bindings it does not read. */
export interface WinogradEpilogue {
  affine: number;
  residual: number;
  stats: Binding;
  res: Binding;
}

/**
 * y = conv2d(x, w) + b by F(4x4, 3x3); `product` runs the 36 grouped 1x1 convs (the pointwise forward: U is its
 * weights, V its input, M its output), once per chunk of the batch (imagesPerChunk; V and M are a chunk's). The three
 * intermediates are pooled and freed here.
 */
export function runWinogradForward(
  gpu: Gpu,
  x: Binding,
  w: GPUBuffer,
  b: GPUBuffer | null,
  y: Binding,
  g: Conv2dGeometry,
  epilogue: WinogradEpilogue,
  product: WinogradProduct,
): void {
  const per = imagesPerChunk(g, gpu.limits.maxStorageBufferBindingSize);
  const u = gpu.alloc(4 * POINTS * g.cout * g.cin, 'conv2d.forward_8_winograd:u');
  gpu.run(conv2dWinogradWeights, { cin: g.cin, cout: g.cout }, [w, u]);
  const plane = tilePlane(g);
  const v = gpu.alloc(4 * per * POINTS * g.cin * plane, 'conv2d.forward_8_winograd:v');
  const m = gpu.alloc(4 * per * POINTS * g.cout * plane, 'conv2d.forward_8_winograd:m');
  const xImage = 4 * g.cin * g.h * g.w;
  const yImage = 4 * g.cout * g.oh * g.ow;
  forEachChunk(g.batch, per, (count, start) => {
    const chunk = { ...g, batch: count };
    const layout = winogradLayout(chunk);
    const images: [number, number, number] = [start, count, g.batch];
    const xs = chunkOf(gpu, x, xImage, images, 'read');
    transformInput(gpu, xs.binding, v, chunk, layout);
    xs.finish();
    product(v, u, m, layout.product);
    const output = { cout: g.cout, oh: g.oh, ow: g.ow, tilesW: layout.tilesW, plane, hasBias: b ? 1 : 0 };
    const ys = chunkOf(gpu, y, yImage, images, 'write');
    const res = epilogue.residual ? chunkOf(gpu, epilogue.res, yImage, images, 'read') : null;
    gpu.run(winogradOutput(epilogue.affine, epilogue.residual), { ...output, quads: (count * g.cout * plane) / 4 },
      [m, b ?? w, ys.binding, epilogue.stats, res?.binding ?? epilogue.res]);
    res?.finish();
    ys.finish();
  });
  gpu.free(u);
  gpu.free(v);
  gpu.free(m);
}

/** v = x's 6x6 patch transforms, [batch, 36 * cin, plane]. */
function transformInput(gpu: Gpu, x: Binding, v: GPUBuffer, g: Conv2dGeometry, layout: WinogradLayout): void {
  const { tilesW, plane } = layout;
  const input = { cin: g.cin, h: g.h, w: g.w, padH: g.padH, padW: g.padW, tilesW, plane };
  gpu.run(conv2dWinogradInput, { ...input, quads: (g.batch * g.cin * plane) / 4 }, [x, v]);
}

/**
 * dw = the gradient of conv2d(x, w) by w, by F(4x4, 3x3). For each of the 36 points the sum over tiles is a matrix
 * product of dy's transforms [cout, tiles] by x's [tiles, cin]; `product` runs the 36 of them as one grouped 1x1 conv
 * forward (the pointwise forward: dy's transforms its weights, x's its input over cin pixels, D its output). The
 * bias gradient is not summed here (the caller runs it).
 */
export function runWinogradWeightGradient(
  gpu: Gpu,
  x: Binding,
  dy: Binding,
  dw: GPUBuffer,
  g: Conv2dGeometry,
  product: WinogradProduct,
): void {
  const per = imagesPerChunk(g, gpu.limits.maxStorageBufferBindingSize);
  const plane = tilePlane(g);
  const sumsBytes = 4 * POINTS * g.cout * g.cin;
  const vt = gpu.alloc(4 * POINTS * per * plane * g.cin, 'conv2d.backward_weight_7_winograd:vt');
  const dyt = gpu.alloc(4 * POINTS * g.cout * per * plane, 'conv2d.backward_weight_7_winograd:dy');
  const d = gpu.alloc(sumsBytes, 'conv2d.backward_weight_7_winograd:d');
  // Past the first chunk each chunk's sums land here and are added to d's, chunk after chunk (a fixed order).
  const part = per < g.batch ? gpu.alloc(sumsBytes, 'conv2d.backward_weight_7_winograd:part') : null;
  const xImage = 4 * g.cin * g.h * g.w;
  const dyImage = 4 * g.cout * g.oh * g.ow;
  const { tilesW } = winogradLayout(g);
  const dySpec = g.ow % 4 === 0 ? conv2dWinogradDyQuads : conv2dWinogradDy;
  forEachChunk(g.batch, per, (count, start) => {
    const images: [number, number, number] = [start, count, g.batch];
    const xs = chunkOf(gpu, x, xImage, images, 'read');
    const dys = chunkOf(gpu, dy, dyImage, images, 'read');
    const tiles = count * plane;
    const input = { cin: g.cin, h: g.h, w: g.w, padH: g.padH, padW: g.padW, tilesW, plane };
    gpu.run(conv2dWinogradX, { ...input, quads: (tiles * g.cin) / 4 }, [xs.binding, vt]);
    const dyTiles = { cout: g.cout, oh: g.oh, ow: g.ow, tilesW, plane, tiles };
    gpu.run(dySpec, { ...dyTiles, quads: (tiles * g.cout) / 4 }, [dys.binding, dyt, dys.binding]);
    xs.finish();
    dys.finish();
    const sums: Conv2dGeometry = {
      batch: 1, cin: POINTS * tiles, h: 1, w: g.cin, cout: POINTS * g.cout, kh: 1, kw: 1, oh: 1, ow: g.cin,
      strideH: 1, strideW: 1, padH: 0, padW: 0, dilH: 1, dilW: 1, groups: POINTS,
    };
    product(vt, dyt, start === 0 ? d : part!, sums);
    if (start > 0) runAccumulate(gpu, part!, d, sumsBytes / 4);
  });
  gpu.free(vt);
  gpu.free(dyt);
  if (part) gpu.free(part);
  gpu.run(conv2dWinogradWeightOutput, { cin: g.cin, cout: g.cout }, [d, dw]);
  gpu.free(d);
}
