/**
 * BatchNorm2d as torch.nn.BatchNorm2d: weight/bias (affine), running_mean/running_var and num_batches_tracked
 * (trackRunningStats). Training forwards normalise by the batch and update the running statistics (the op does,
 * in place) and count the batch; with momentum null the update is the cumulative average (factor
 * 1/num_batches_tracked). Eval forwards use the running statistics, or the batch's when none are tracked.
 */
import {
  batchnorm2d,
  batchnorm2dEvalStats,
  batchnorm2dRelu,
  type Batchnorm2dOptions as Batchnorm2dOpOptions,
  type Batchnorm2dState,
} from '../ops/batchnorm2d.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { createBuffer, createParameter, Module, type ModuleContext } from './module.js';

export interface BatchNorm2dOptions {
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  /** Training batches seen; saved as num_batches_tracked. */
  numBatchesTracked = 0;
  readonly eps: number;
  private evalStats: { rows: Tensor; sources: (Tensor | null)[]; versions: number[] } | null = null;
  readonly momentum: number | null;

  constructor(
    ctx: ModuleContext,
    readonly numFeatures: number,
    options: BatchNorm2dOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const c = numFeatures;
    const ones = (): Float32Array => new Float32Array(c).fill(1);
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', createParameter(ctx.gpu, ones(), [c], 'BatchNorm2d.weight')) : null;
    this.bias = affine
      ? this.registerParameter('bias', createParameter(ctx.gpu, new Float32Array(c), [c], 'BatchNorm2d.bias'))
      : null;
    if (options.trackRunningStats ?? true) {
      this.runningMean = this.registerBuffer('running_mean', createBuffer(ctx.gpu, new Float32Array(c), [c], 'BatchNorm2d.running_mean'));
      this.runningVar = this.registerBuffer('running_var', createBuffer(ctx.gpu, ones(), [c], 'BatchNorm2d.running_var'));
      this.registerHostScalar('num_batches_tracked', {
        get: () => this.numBatchesTracked,
        set: (value) => (this.numBatchesTracked = value),
      });
    } else {
      this.runningMean = null;
      this.runningVar = null;
    }
  }

  forward(x: Tensor): Tensor {
    return this.apply(x, false);
  }

  /** relu(forward(x)) in one fused op (batchnorm2d_relu): same statistics, state and counting as forward. */
  forwardRelu(x: Tensor): Tensor {
    return this.apply(x, true);
  }

  /**
   * Counts the batch as forward does and returns the state and options the batchnorm2d ops take: for a layer that
   * fuses this normalisation into the op consuming it (CNN-X's concat_pool2d), once per forward.
   */
  opArgs(): { state: Batchnorm2dState; options: Batchnorm2dOpOptions } {
    const tracking = this.runningMean !== null;
    let momentum = this.momentum ?? 0;
    if (this.training && tracking) {
      this.numBatchesTracked++;
      if (this.momentum === null) momentum = 1 / this.numBatchesTracked;
    }
    const { weight, bias, runningMean, runningVar } = this;
    return {
      state: { weight, bias, runningMean, runningVar },
      options: { training: this.training || !tracking, momentum, eps: this.eps },
    };
  }

  /**
   * The eval-mode stats rows from the running statistics, for a conv that applies this batch norm as it stores
   * (convBatchNorm). Kept between forwards: made again only once the weight, bias or running statistics were written
   * (Tensor.version: Adam, a training forward, loadStateDict), so an inference forward spends no dispatch on them.
   */
  evalStatsRows(): Tensor {
    const { weight, bias, runningMean, runningVar } = this;
    const sources = [weight, bias, runningMean, runningVar];
    const versions = sources.map((t) => t?.version ?? -1);
    const cached = this.evalStats;
    // The same tensors (not replaced) at the same versions.
    const holds = cached && sources.every((t, i) => t === cached.sources[i] && versions[i] === cached.versions[i]);
    if (holds) return cached.rows;
    cached?.rows.dispose();
    const rows = keep(batchnorm2dEvalStats({ weight, bias, runningMean, runningVar }, this.eps));
    this.evalStats = { rows, sources, versions };
    return rows;
  }

  protected override releaseDerived(): void {
    this.evalStats?.rows.dispose();
    this.evalStats = null;
    super.releaseDerived();
  }

  private apply(x: Tensor, relu: boolean): Tensor {
    const { state, options } = this.opArgs();
    return (relu ? batchnorm2dRelu : batchnorm2d)(x, state, options);
  }
}
