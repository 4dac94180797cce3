/**
 * conv2dBatchnorm2dEval(x, w, b, convOpts, state, bnOpts) = batchnorm2d(conv2d(x, w, b, convOpts), state, bnOpts) in
 * eval mode, in one pass: the conv's forward kernel applies the batch norm's per-channel affine from the running
 * statistics as it stores (affine_epilogue.wgsl), so the conv's output is never written and the batch norm's pass
 * never runs. Inference only: it records nothing, and conv2dBatchnorm2dEvalApplies says where it may run (no gradient
 * wanted, eval mode, a forward variant that takes the affine, one storage binding); elsewhere run the ops one by one.
 * The extras (ConvBatchnormEvalExtras) say what else the pass does and what the caller already keeps.
 */
import { STATS_ROWS } from '../../kernels/batchnorm2d.js';
import { conv2dForwardTakesAffine, runConv2dForward, type Conv2dGeometry } from '../../kernels/conv2d.js';
import { needsGrad } from '../tape.js';
import { Tensor } from '../tensor.js';
import { batchnorm2dStats, type Batchnorm2dOptions, type Batchnorm2dState } from './batchnorm2d.js';
import { conv2dGeometry, type Conv2dOptions } from './conv2d.js';

export interface ConvBatchnormEvalExtras {
  /** The ReLU after the batch norm too (batchnorm2dRelu's). */
  relu?: boolean;
  /** A residual block's end too: relu(that + residual), as addRelu computes it, without its pass (relu false). */
  residual?: Tensor;
  /** The batch norm's eval stats rows where the caller keeps them (BatchNorm2d.evalStatsRows), sparing their pass. */
  stats?: Tensor;
  /** w regrouped as the forward reads it, where the caller keeps that (conv2dTapMajorWeights). */
  tapMajor?: Tensor;
}

export function conv2dBatchnorm2dEvalApplies(...args: Parameters<typeof fusedGeometry>): boolean {
  return fusedGeometry(...args) !== null;
}

/** The conv's geometry where the fused pass applies (see conv2dBatchnorm2dEvalApplies), else null. */
function fusedGeometry(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  convOpts: Conv2dOptions,
  state: Batchnorm2dState,
  bnOpts: Batchnorm2dOptions,
): Conv2dGeometry | null {
  if (bnOpts.training || !state.runningMean || needsGrad([x, w, b, state.weight, state.bias])) return null;
  const g = conv2dGeometry(x.shape, w.shape, b?.shape ?? null, convOpts);
  const limit = x.gpu.limits.maxStorageBufferBindingSize;
  if (4 * Math.max(x.size, g.batch * g.cout * g.oh * g.ow) > limit) return null;
  return conv2dForwardTakesAffine(g, x.gpu) ? g : null;
}

export function conv2dBatchnorm2dEval(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  convOpts: Conv2dOptions,
  state: Batchnorm2dState,
  bnOpts: Batchnorm2dOptions,
  { relu = false, residual, stats, tapMajor }: ConvBatchnormEvalExtras = {},
): Tensor {
  const g = fusedGeometry(x, w, b, convOpts, state, bnOpts);
  if (!g) {
    throw new RangeError('conv2dBatchnorm2dEval: needs eval mode, no gradient, and a conv kernel that applies the ' +
      `batch norm as it stores (x [${x.shape.join(', ')}], w [${w.shape.join(', ')}])`);
  }
  const label = relu ? 'conv2d_batchnorm2d_relu.forward:y' : 'conv2d_batchnorm2d.forward:y';
  const shape = [g.batch, g.cout, g.oh, g.ow];
  if (residual && (relu || residual.shape.some((d, i) => d !== shape[i]) || residual.shape.length !== 4)) {
    throw new RangeError(`conv2dBatchnorm2dEval: a residual [${residual.shape.join(', ')}] must match the output ` +
      `[${shape.join(', ')}], and brings its own ReLU after the add (relu false)`);
  }
  if (stats && (stats.shape[0] !== STATS_ROWS || stats.shape[1] !== g.cout)) {
    throw new RangeError(`conv2dBatchnorm2dEval: stats rows [${stats.shape.join(', ')}] are not [${STATS_ROWS}, ` +
      `${g.cout}]`);
  }
  const y = Tensor.empty(x.gpu, shape, residual ? 'conv2d_batchnorm2d_add_relu.forward:y' : label);
  // In eval mode the stats rows come from the running statistics alone (y only gives the shape to check).
  const rows = stats ?? batchnorm2dStats(y, state, bnOpts);
  runConv2dForward(x.gpu, x.buffer, w.buffer, b?.buffer ?? null, y.buffer, g, undefined, undefined, {
    stats: rows.buffer,
    relu,
    ...(residual ? { residual: residual.buffer } : {}),
  }, tapMajor?.buffer);
  if (!stats) rows.dispose();
  return y;
}
