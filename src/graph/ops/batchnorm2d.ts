/**
 * batchnorm2d(x, state, opts) over NCHW: y = (x - mean) / sqrt(var + eps) * weight + bias per channel, as
 * torch.nn.functional.batch_norm. Training mode normalises with the batch mean and BIASED variance over N*H*W and
 * updates runningMean/runningVar in place on the GPU (PyTorch's momentum rule, unbiased variance); eval mode uses
 * the running statistics, so its gradient is the plain affine one (with nothing to record, inference, one pass that
 * forms the scale from the running statistics itself). Recorded inputs: [x, weight, bias].
 *
 * batchnorm2dRelu(x, state, opts) = relu(batchnorm2d(x, state, opts)) in the same passes (op batchnorm2d_relu):
 * normalize writes max(y, 0), and the backward masks dy by the pre-activation y_pre > 0 (gradient 0 at y_pre = 0,
 * as PyTorch's relu), recomputed from the saved x and stats so the output need not stay alive until the backward.
 */
import {
  COEF_ROWS,
  STATS_ROWS,
  runBatchnorm2dBackwardInput,
  runBatchnorm2dBackwardSums,
  runBatchnorm2dBatchStats,
  runBatchnorm2dNormalize,
  runBatchnorm2dNormalizeRunning,
  runBatchnorm2dRunningStats,
  batchnorm2dVariant,
  type Batchnorm2dShape,
  type PooledGradient,
} from '../../kernels/batchnorm2d.js';
import { needsGrad, record } from '../tape.js';
import { Tensor } from '../tensor.js';

export interface Batchnorm2dState {
  /** [C], or null for affine = false (weight 1). */
  weight: Tensor | null;
  /** [C], or null for affine = false (bias 0). */
  bias: Tensor | null;
  /** [C], updated in place in training mode; both or neither of runningMean and runningVar. */
  runningMean: Tensor | null;
  runningVar: Tensor | null;
}

export interface Batchnorm2dOptions {
  training: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's convention); 0.1 by default. */
  momentum?: number;
  /** Added to the variance before the square root; 1e-5 by default. */
  eps?: number;
}

/** Batch statistics partials of a tensor, written by the op that made it (see runBatchnorm2dBatchStats). */
export interface BatchStatsPartials {
  /** (count, mean, M2, 0) per sample, channel and chunk: [N * C * chunks * 4]. */
  part: Tensor;
  chunks: number;
}

export interface Batchnorm2dSaved {
  /** The input (a handle, not a copy). */
  x: Tensor;
  /** [5, C] rows mean, var, invstd, scale = weight * invstd, beta, of the statistics the forward used. */
  stats: Tensor;
  training: boolean;
}

export function batchnorm2d(x: Tensor, state: Batchnorm2dState, opts: Batchnorm2dOptions): Tensor {
  return forward(x, state, opts, false);
}

/** relu(batchnorm2d(x, state, opts)), fused: one normalize pass writes the ReLU's output. */
export function batchnorm2dRelu(x: Tensor, state: Batchnorm2dState, opts: Batchnorm2dOptions): Tensor {
  return forward(x, state, opts, true);
}

function forward(x: Tensor, state: Batchnorm2dState, opts: Batchnorm2dOptions, relu: boolean): Tensor {
  const label = relu ? 'batchnorm2d_relu.forward:y' : 'batchnorm2d.forward:y';
  if (!opts.training && !needsGrad([x, state.weight, state.bias])) {
    // Inference: the running statistics are folded in by the normalize pass itself (one dispatch, not two).
    const shape = checkShapes(x, state);
    const { runningMean, runningVar, weight, bias } = state;
    const eps = checkedOptions(opts).eps;
    if (!runningMean || !runningVar) throw new RangeError(EVAL_NEEDS_RUNNING);
    const running = { rm: runningMean.buffer, rv: runningVar.buffer, w: weight?.buffer ?? null, b: bias?.buffer ?? null, eps };
    const y = Tensor.empty(x.gpu, x.shape, label);
    runBatchnorm2dNormalizeRunning(x.gpu, x.buffer, running, y.buffer, shape, batchnorm2dVariant(shape), relu);
    return y;
  }
  const stats = batchnorm2dStats(x, state, opts);
  const shape = planes(x);
  const y = Tensor.empty(x.gpu, x.shape, label);
  runBatchnorm2dNormalize(x.gpu, x.buffer, stats.buffer, y.buffer, shape, batchnorm2dVariant(shape), relu);
  const makeSaved = (save: (t: Tensor) => Tensor) => ({ x: save(x), stats: save(stats), training: opts.training });
  if (relu) record('batchnorm2d_relu', [x, state.weight, state.bias], y, makeSaved);
  else record('batchnorm2d', [x, state.weight, state.bias], y, makeSaved);
  stats.dispose();
  return y;
}

/**
 * The [5, C] stats rows (mean, var, invstd, scale, beta) that normalise x: in training mode the batch's (and the
 * running statistics updated in place), in eval mode the running ones. Checks shapes and options. The forward
 * passes read them, and so do ops that fuse the normalisation into what consumes it (concat_pool2d). In training
 * mode `partials`, x's batch statistics partials written by the op that made x (conv2dWithBatchStats), spare
 * reading x again.
 */
export function batchnorm2dStats(
  x: Tensor,
  state: Batchnorm2dState,
  opts: Batchnorm2dOptions,
  partials?: BatchStatsPartials,
): Tensor {
  const shape = checkShapes(x, state);
  if (partials && partials.part.size !== 4 * shape.n * shape.c * partials.chunks) {
    throw new RangeError(`batchnorm2d: batch statistics partials ${partials.part} do not hold ${partials.chunks} ` +
      `chunks per plane of x [${x.shape.join(', ')}]`);
  }
  const { weight, bias, runningMean, runningVar } = state;
  const { momentum, eps } = checkedOptions(opts);
  const training = opts.training;
  const count = shape.n * shape.hw;
  if (training && count <= 1) {
    throw new RangeError(
      `batchnorm2d: expected more than 1 value per channel when training, got input of shape [${x.shape.join(', ')}]`,
    );
  }
  if (!training) return batchnorm2dEvalStats(state, eps);
  const gpu = x.gpu;
  const stats = Tensor.empty(gpu, [STATS_ROWS, shape.c], 'batchnorm2d.forward:stats');
  const running = runningMean && runningVar ? { rm: runningMean.buffer, rv: runningVar.buffer, momentum } : null;
  const given = partials ? { part: partials.part.buffer, chunks: partials.chunks } : null;
  runBatchnorm2dBatchStats(gpu, x.buffer, weight?.buffer ?? null, bias?.buffer ?? null, stats.buffer, shape, eps,
    batchnorm2dVariant(shape), running, given);
  runningMean?.markWritten();
  runningVar?.markWritten();
  return stats;
}

/** The eval-mode [5, C] stats rows, from the running statistics alone (state's shapes checked by the caller). */
export function batchnorm2dEvalStats(state: Batchnorm2dState, eps: number): Tensor {
  const { weight, bias, runningMean, runningVar } = state;
  if (!runningMean || !runningVar) throw new RangeError(EVAL_NEEDS_RUNNING);
  const c = runningMean.size;
  const stats = Tensor.empty(runningMean.gpu, [STATS_ROWS, c], 'batchnorm2d.eval:stats');
  runBatchnorm2dRunningStats(runningMean.gpu, runningMean.buffer, runningVar.buffer, weight?.buffer ?? null,
    bias?.buffer ?? null, stats.buffer, c, eps);
  return stats;
}

const EVAL_NEEDS_RUNNING = 'batchnorm2d: eval mode needs runningMean and runningVar (use training mode without them)';

/** Momentum and eps with their defaults, checked. */
function checkedOptions(opts: Batchnorm2dOptions): { momentum: number; eps: number } {
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!Number.isFinite(momentum) || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`batchnorm2d: momentum ${momentum} and eps ${eps} must be finite, eps >= 0`);
  }
  return { momentum, eps };
}

export function batchnorm2dBackward(saved: Batchnorm2dSaved, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  return backwardOf(saved, dy, needs, false);
}

/**
 * The batchnorm2d gradient of dy masked by the fused ReLU (the kernels recompute the mask from x and stats). dy may
 * be given as the gradient of the pool that alone reads the output (concat_pool2d): the passes then gather it
 * through the pool, so the pool's input gradient is never written (see PooledGradient).
 */
export function batchnorm2dReluBackward(
  saved: Batchnorm2dSaved,
  dy: Tensor | PooledGradient,
  needs: readonly boolean[],
): (Tensor | null)[] {
  return backwardOf(saved, dy, needs, true);
}

function backwardOf(saved: Batchnorm2dSaved, dyIn: Tensor | PooledGradient, needs: readonly boolean[],
  relu: boolean): (Tensor | null)[] {
  const { x, stats, training } = saved;
  const gpu = x.gpu;
  const dy = dyIn instanceof Tensor ? dyIn.buffer : dyIn;
  const shape = planes(x);
  const [needX = false, needW = false, needB = false] = needs;
  const coef = Tensor.empty(gpu, [COEF_ROWS, shape.c], 'batchnorm2d.backward:coef');
  const dw = Tensor.empty(gpu, [shape.c], 'batchnorm2d.backward:dw');
  const db = Tensor.empty(gpu, [shape.c], 'batchnorm2d.backward:db');
  // The batch-statistics dx needs both sums; in eval mode dx is scale * dy and the sums only serve dw and db.
  const reduce = training || needW || needB;
  runBatchnorm2dBackwardSums(gpu, x.buffer, dy, stats.buffer, coef.buffer, dw.buffer, db.buffer, shape, {
    training,
    reduce,
    relu,
  });
  let dx: Tensor | null = null;
  if (needX) {
    dx = Tensor.empty(gpu, x.shape, 'batchnorm2d.backward:dx');
    const variant = batchnorm2dVariant(shape);
    runBatchnorm2dBackwardInput(gpu, x.buffer, dy, coef.buffer, dx.buffer, shape, variant, relu);
  }
  coef.dispose();
  if (!needW) dw.dispose();
  if (!needB) db.dispose();
  return [dx, needW ? dw : null, needB ? db : null];
}

function planes(x: Tensor): Batchnorm2dShape {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return { n, c, hw: h * w };
}

function checkShapes(x: Tensor, state: Batchnorm2dState): Batchnorm2dShape {
  if (x.shape.length !== 4) {
    throw new RangeError(`batchnorm2d: expected x of shape [N, C, H, W], got [${x.shape.join(', ')}]`);
  }
  const shape = planes(x);
  const roles = ['weight', 'bias', 'runningMean', 'runningVar'] as const;
  for (const role of roles) {
    const t = state[role];
    if (t && (t.shape.length !== 1 || t.shape[0] !== shape.c)) {
      throw new RangeError(
        `batchnorm2d: ${role} has shape [${t.shape.join(', ')}], expected [${shape.c}] ` +
          `for x of shape [${x.shape.join(', ')}]`,
      );
    }
  }
  if ((state.runningMean === null) !== (state.runningVar === null)) {
    throw new RangeError('batchnorm2d: runningMean and runningVar must be given together');
  }
  return shape;
}
