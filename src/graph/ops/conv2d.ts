/**
 * conv2d(x, w, b) over NCHW x [N, Cin, H, W] with OIHW weights w [Cout, Cin/groups, KH, KW] and an optional bias
 * b [Cout], as torch.nn.functional.conv2d (zero padding, cross-correlation). The rule saves x only when w needs a
 * gradient and w only when x does, and computes only the gradients asked for. The kernels pick their fastest variant
 * for the shape (see src/kernels/conv2d.ts). Activations over one storage binding go through the kernels in batch
 * slices (src/kernels/batch_slices.ts); the weight and bias gradients add up their slices' sums in slice order. The
 * sliced launchers (runConv2d*Sliced) are exported for code that holds raw buffers (the bench).
 */
import { runAccumulate } from '../../kernels/add.js';
import { forEachBatchSlice, type BatchOperand } from '../../kernels/batch_slices.js';
import {
  runConv2dBackwardBias,
  runConv2dBackwardInput,
  runConv2dBackwardWeight,
  runConv2dForward,
  runConv2dTapMajorWeights,
  conv2dForwardStatsChunks,
  conv2dTapMajorFloats,
  type Conv2dGeometry,
  type Conv2dVariant,
} from '../../kernels/conv2d.js';
import type { Binding, Gpu } from '../../runtime/gpu.js';
import { record } from '../tape.js';
import type { BatchStatsPartials } from './batchnorm2d.js';
import { Tensor, type Shape } from '../tensor.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

export interface Conv2dSaved {
  geometry: Conv2dGeometry;
  /** The input, kept when w needs a gradient. */
  x: Tensor | null;
  /** The weights, kept when x needs a gradient. */
  w: Tensor | null;
}

/**
 * y = conv2d(x, w, b) as torch.nn.functional.conv2d. `tapMajor`: w regrouped as the software 'subgroup' forward
 * reads it (conv2dTapMajorWeights), kept by a caller whose w does not change (Conv2d in inference).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOptions = {}, tapMajor?: Tensor): Tensor {
  const geometry = conv2dGeometry(x.shape, w.shape, b?.shape ?? null, opts);
  const { batch, cout, oh, ow } = geometry;
  const y = Tensor.empty(x.gpu, [batch, cout, oh, ow], 'conv2d.forward:y');
  runConv2dForwardSliced(x.gpu, x.buffer, w.buffer, b?.buffer ?? null, y.buffer, geometry, undefined, tapMajor?.buffer);
  recordConv2d(x, w, b, y, geometry);
  return y;
}

/**
 * w regrouped by K step as the forward over x reads it on this device (the software 'subgroup' forward's 32-channel
 * tiles), for a caller that keeps it while w is unchanged (Conv2d.evalTapMajorWeights) and hands it to
 * conv2d or conv2dBatchnorm2dEval; null where that forward would not read it. A new tensor: the caller disposes it.
 */
export function conv2dTapMajorWeights(x: Tensor, w: Tensor, b: Tensor | null, convOpts: Conv2dOptions): Tensor | null {
  const g = conv2dGeometry(x.shape, w.shape, b?.shape ?? null, convOpts);
  const floats = conv2dTapMajorFloats(g, x.gpu);
  if (floats === 0) return null;
  const packed = Tensor.empty(x.gpu, [floats], 'conv2d.tap_major_weights:wq');
  runConv2dTapMajorWeights(x.gpu, w.buffer, packed.buffer, g);
  return packed;
}

/**
 * conv2d(x, w, b, opts) and, when its forward kernel writes them on the way ('patch', or 'depthwise' where it runs
 * its multi-channel kernel; unsliced), the batch statistics partials of y for a batch norm in training mode that
 * reads y next (batchnorm2dStats); else null, and the batch norm reads y itself. Same value and gradients as conv2d.
 */
export function conv2dWithBatchStats(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  opts: Conv2dOptions = {},
): { y: Tensor; stats: BatchStatsPartials | null } {
  const geometry = conv2dGeometry(x.shape, w.shape, b?.shape ?? null, opts);
  const { batch, cout, oh, ow } = geometry;
  const gpu = x.gpu;
  const chunks = conv2dForwardStatsChunks(geometry, gpu);
  const limit = gpu.limits.maxStorageBufferBindingSize;
  if (chunks === null || Math.max(x.size, batch * cout * oh * ow, 4 * batch * cout * chunks) * 4 > limit) {
    return { y: conv2d(x, w, b, opts), stats: null };
  }
  const y = Tensor.empty(gpu, [batch, cout, oh, ow], 'conv2d.forward:y');
  const part = Tensor.empty(gpu, [batch * cout * chunks * 4], 'conv2d.forward:stats');
  runConv2dForward(gpu, x.buffer, w.buffer, b?.buffer ?? null, y.buffer, geometry, undefined, part.buffer);
  recordConv2d(x, w, b, y, geometry);
  return { y, stats: { part, chunks } };
}

function recordConv2d(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, geometry: Conv2dGeometry): void {
  record('conv2d', [x, w, b], y, (save) => ({
    geometry,
    x: w.requiresGrad ? save(x) : null,
    w: x.requiresGrad ? save(w) : null,
  }));
}

export function conv2dBackward(saved: Conv2dSaved, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const g = saved.geometry;
  const gpu = dy.gpu;
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[0]) {
    dx = Tensor.empty(gpu, [g.batch, g.cin, g.h, g.w], 'conv2d.backward_input:dx');
    runConv2dBackwardInputSliced(gpu, dy.buffer, saved.w!.buffer, dx.buffer, g);
  }
  if (needs[2]) db = Tensor.empty(gpu, [g.cout], 'conv2d.backward_bias:db');
  let biasDone = false;
  if (needs[1]) {
    dw = Tensor.empty(gpu, [g.cout, g.cin / g.groups, g.kh, g.kw], 'conv2d.backward_weight:dw');
    biasDone = runConv2dBackwardWeightSliced(gpu, saved.x!.buffer, dy.buffer, dw.buffer, g, undefined, db?.buffer ?? null);
  }
  if (db && !biasDone) runConv2dBackwardBiasSliced(gpu, dy.buffer, db.buffer, g);
  return [dx, dw, db];
}

/** runConv2dForward over the batch in slices whose x and y fit one storage binding (one call when all fits). */
export function runConv2dForwardSliced(
  gpu: Gpu,
  x: GPUBuffer,
  w: GPUBuffer,
  b: GPUBuffer | null,
  y: GPUBuffer,
  g: Conv2dGeometry,
  variant?: Conv2dVariant,
  tapMajor?: GPUBuffer,
): void {
  const operands = [input(x, g, 'read', 'x'), output(y, g, 'write', 'y')];
  forEachBatchSlice(gpu, 'conv2d.forward', g.batch, operands, (count, [xs, ys]) =>
    runConv2dForward(gpu, xs!, w, b, ys!, { ...g, batch: count }, variant, undefined, undefined, tapMajor));
}

/** runConv2dBackwardInput over the batch in slices whose dy and dx fit one storage binding. */
export function runConv2dBackwardInputSliced(
  gpu: Gpu,
  dy: GPUBuffer,
  w: GPUBuffer,
  dx: GPUBuffer,
  g: Conv2dGeometry,
  variant?: Conv2dVariant,
): void {
  const operands = [output(dy, g, 'read', 'dy'), input(dx, g, 'write', 'dx')];
  forEachBatchSlice(gpu, 'conv2d.backward_input', g.batch, operands, (count, [dys, dxs]) =>
    runConv2dBackwardInput(gpu, dys!, w, dxs!, { ...g, batch: count }, variant));
}

/**
 * runConv2dBackwardWeight over the batch in slices whose x and dy fit one binding, their sums added in order. With
 * `db`, the bias gradient comes along when the batch fits one slice (one pass over dy); returns whether it did.
 */
export function runConv2dBackwardWeightSliced(
  gpu: Gpu,
  x: GPUBuffer,
  dy: GPUBuffer,
  dw: GPUBuffer,
  g: Conv2dGeometry,
  variant?: Conv2dVariant,
  db: GPUBuffer | null = null,
): boolean {
  const operands = [input(x, g, 'read', 'x'), output(dy, g, 'read', 'dy')];
  const floats = g.cout * (g.cin / g.groups) * g.kh * g.kw;
  let biasDone = false;
  sumOverBatchSlices(gpu, 'conv2d.backward_weight', g.batch, operands, dw, floats, (count, [xs, dys], out) => {
    const whole = count === g.batch;
    runConv2dBackwardWeight(gpu, xs!, dys!, out, { ...g, batch: count }, variant, whole ? db : null);
    biasDone = whole && db !== null;
  });
  return biasDone;
}

/** runConv2dBackwardBias over the batch in slices whose dy fits one binding, their sums added in order. */
export function runConv2dBackwardBiasSliced(gpu: Gpu, dy: GPUBuffer, db: GPUBuffer, g: Conv2dGeometry): void {
  const operands = [output(dy, g, 'read', 'dy')];
  sumOverBatchSlices(gpu, 'conv2d.backward_bias', g.batch, operands, db, g.cout, (count, [dys], out) =>
    runConv2dBackwardBias(gpu, dys!, out, { ...g, batch: count }));
}

/** An input-shaped tensor [N, Cin, H, W] (x, dx) as an operand sliced by batch. */
function input(buffer: GPUBuffer, g: Conv2dGeometry, access: BatchOperand['access'], role: string): BatchOperand {
  return { buffer, sampleBytes: 4 * g.cin * g.h * g.w, access, role };
}

/** An output-shaped tensor [N, Cout, oh, ow] (y, dy) as an operand sliced by batch. */
function output(buffer: GPUBuffer, g: Conv2dGeometry, access: BatchOperand['access'], role: string): BatchOperand {
  return { buffer, sampleBytes: 4 * g.cout * g.oh * g.ow, access, role };
}

/**
 * out (`floats` long) = the sum over batch slices of what `launch` writes for each: the first slice writes out, each
 * later one a scratch that is added to out, in slice order, so the result is deterministic (and the float sums are
 * those of sum_partials adding the slices' partials in order).
 */
function sumOverBatchSlices(
  gpu: Gpu,
  kernel: string,
  batch: number,
  operands: readonly BatchOperand[],
  out: GPUBuffer,
  floats: number,
  launch: (count: number, bindings: Binding[], out: GPUBuffer) => void,
): void {
  let partial: GPUBuffer | null = null;
  forEachBatchSlice(gpu, kernel, batch, operands, (count, bindings, start) => {
    if (start === 0) {
      launch(count, bindings, out);
      return;
    }
    partial ??= gpu.alloc(floats * 4, `${kernel}:slice sum`);
    launch(count, bindings, partial);
    runAccumulate(gpu, partial, out, floats);
  });
  if (partial) gpu.free(partial);
}

/** Checks the shapes and hyper-parameters of a convolution and works out its output size. */
export function conv2dGeometry(xShape: Shape, wShape: Shape, bShape: Shape | null, opts: Conv2dOptions = {}): Conv2dGeometry {
  // The shapes are written only on failure: every conv call checks its geometry, most of them more than once.
  const fail = (why: string): never => {
    const shapes = `x [${xShape.join(', ')}], w [${wShape.join(', ')}]${bShape ? `, b [${bShape.join(', ')}]` : ''}`;
    throw new RangeError(`conv2d: ${why} (${shapes})`);
  };
  if (xShape.length !== 4) fail('x must be 4-D [N, C, H, W]');
  if (wShape.length !== 4) fail('w must be 4-D [Cout, Cin/groups, KH, KW]');
  const [batch, cin, h, w] = xShape as [number, number, number, number];
  const [cout, cinG, kh, kw] = wShape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) fail(`groups must be a positive integer, got ${groups}`);
  const [strideH, strideW] = pair('stride', opts.stride ?? 1, 1, fail);
  const [padH, padW] = pair('padding', opts.padding ?? 0, 0, fail);
  const [dilH, dilW] = pair('dilation', opts.dilation ?? 1, 1, fail);
  if (cin % groups !== 0 || cout % groups !== 0) fail(`groups = ${groups} must divide both Cin = ${cin} and Cout = ${cout}`);
  if (cinG * groups !== cin) fail(`w has ${cinG} input channels per group, but x has ${cin} channels in ${groups} group(s)`);
  if (kh < 1 || kw < 1 || cout < 1) fail('w has an empty dimension');
  if (bShape && (bShape.length !== 1 || bShape[0] !== cout)) fail(`b must be [${cout}], one value per output channel`);
  const oh = Math.floor((h + 2 * padH - dilH * (kh - 1) - 1) / strideH) + 1;
  const ow = Math.floor((w + 2 * padW - dilW * (kw - 1) - 1) / strideW) + 1;
  if (oh < 1 || ow < 1) {
    fail(
      `the ${(kh - 1) * dilH + 1}x${(kw - 1) * dilW + 1} (dilated) kernel is larger than the padded input ` +
        `${h + 2 * padH}x${w + 2 * padW}`,
    );
  }
  if (batch < 1) fail('x has an empty batch');
  return { batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups };
}

function pair(name: string, value: number | [number, number], min: number, fail: (why: string) => never): [number, number] {
  const [a, b] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < min || b < min) {
    fail(`${name} must be integers >= ${min}, got ${JSON.stringify(value)}`);
  }
  return [a, b];
}
