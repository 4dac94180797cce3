/**
 * CNN-X (Majeed et al. 2020): parallel conv -> batch norm -> ReLU -> pool branches on the input, concatenated
 * along channels, flattened in C,H,W order and classified by one fully connected layer. The paper's layout is
 * CNNX_PAPER; another layout is a config change.
 */
import { BatchNorm2d } from '../graph/modules/batchnorm2d.js';
import { Conv2d } from '../graph/modules/conv2d.js';
import { AvgPool2d } from '../graph/modules/avgpool2d.js';
import { Linear } from '../graph/modules/linear.js';
import { MaxPool2d } from '../graph/modules/maxpool2d.js';
import { forwardIsWrapped, Module, type Layer, type ModuleContext } from '../graph/modules/module.js';
import { ModuleList } from '../graph/modules/module_list.js';
import { concat } from '../graph/ops/concat.js';
import { concatPool2d, type ConcatPool2dInput } from '../graph/ops/concat_pool2d.js';
import { flatten } from '../graph/ops/reshape.js';
import { tidy } from '../graph/scope.js';
import type { Tensor } from '../graph/tensor.js';
import type { Classifier, InputSpec } from './classifier.js';

export interface CnnxBranchConfig {
  kernel: number;
  filters: number;
  pool: 'max' | 'avg';
}

export interface CnnxConfig {
  inputSize: number;
  numClasses: number;
  branches: CnnxBranchConfig[];
  poolKernel: number;
  poolStride: number;
  bnEps: number;
  bnMomentum: number;
}

export const CNNX_PAPER: CnnxConfig = {
  inputSize: 224,
  numClasses: 4,
  branches: [
    { kernel: 3, filters: 16, pool: 'max' },
    { kernel: 5, filters: 16, pool: 'avg' },
    { kernel: 9, filters: 16, pool: 'max' },
    { kernel: 9, filters: 16, pool: 'avg' },
  ],
  poolKernel: 2,
  poolStride: 3,
  bnEps: 1e-5,
  bnMomentum: 0.1,
};

/** Side of a branch's output: "same" conv keeps the size, then the pool (no padding, floor). */
export function cnnxFeatureSize(config: CnnxConfig): number {
  const size = Math.floor((config.inputSize - config.poolKernel) / config.poolStride) + 1;
  if (size <= 0) throw new RangeError(`CNN-X: input size ${config.inputSize} is too small for pool ${config.poolKernel}/${config.poolStride}`);
  return size;
}

/** conv (stride 1, zero padding k//2, bias) -> batch norm -> ReLU (fused into the batch norm) -> pool. */
export class CnnxBranch extends Module implements Layer {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly pool: MaxPool2d | AvgPool2d;

  constructor(ctx: ModuleContext, branch: CnnxBranchConfig, config: CnnxConfig) {
    super();
    if (branch.kernel % 2 !== 1) throw new RangeError(`CNN-X: branch kernel ${branch.kernel} must be odd to keep the size`);
    this.conv = this.registerModule('conv', new Conv2d(ctx, 1, branch.filters, branch.kernel, { padding: branch.kernel >> 1 }));
    this.bn = this.registerModule('bn', new BatchNorm2d(ctx, branch.filters, { eps: config.bnEps, momentum: config.bnMomentum }));
    const poolOptions = { stride: config.poolStride };
    this.pool = this.registerModule(
      'pool',
      branch.pool === 'max' ? new MaxPool2d(config.poolKernel, poolOptions) : new AvgPool2d(config.poolKernel, poolOptions),
    );
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.pool.forward(this.bn.forwardRelu(this.conv.forward(x))));
  }

  /**
   * The same branch as concatPool2d takes it: conv(x), with the batch norm + ReLU and the pool fused into the
   * concatenation (the batch norm counts the batch as its forward does; in training, the conv may hand it the
   * batch statistics partials of its output).
   */
  concatInput(x: Tensor): ConcatPool2dInput {
    const bnRelu = this.bn.opArgs();
    const options = { kernel: this.pool.kernel, ...this.pool.options };
    const pool = this.pool instanceof MaxPool2d
      ? { op: 'maxpool2d' as const, options }
      : { op: 'avgpool2d' as const, options };
    const convWrapped = forwardIsWrapped(this.conv);
    if (!bnRelu.options.training || convWrapped) return { x: this.conv.forward(x), pool, bnRelu };
    // The batch statistics from the conv's own pass where its kernel can write them: the batch norm need not read
    // the conv's output again.
    const { y, stats } = this.conv.forwardWithBatchStats(x);
    return { x: y, pool, bnRelu: stats ? { ...bnRelu, partials: stats } : bnRelu };
  }

  /** Whether the forward of this branch, its batch norm or its pool is wrapped on the instance (a layer capture). */
  isWrapped(): boolean {
    return [this, this.bn, this.pool].some(forwardIsWrapped);
  }
}

export class Cnnx extends Module implements Classifier {
  readonly branches: ModuleList<CnnxBranch>;
  readonly fc: Linear;
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly featureSize: number;

  constructor(ctx: ModuleContext, readonly config: CnnxConfig = CNNX_PAPER) {
    super();
    if (config.branches.length === 0) throw new RangeError('CNN-X: at least one branch is needed');
    this.numClasses = config.numClasses;
    this.featureSize = cnnxFeatureSize(config);
    this.input = { channels: 1, height: config.inputSize, width: config.inputSize, mean: [0], std: [1] };
    this.branches = this.registerModule('branches', new ModuleList(config.branches.map((b) => new CnnxBranch(ctx, b, config))));
    const channels = config.branches.reduce((sum, b) => sum + b.filters, 0);
    this.fc = this.registerModule('fc', new Linear(ctx, channels * this.featureSize ** 2, config.numClasses));
  }

  /**
   * The concatenated branch outputs [N, sum of filters, S, S]: the layer CAM reads ("branches"). The batch norms,
   * ReLUs and pools are fused into the concatenation (concatPool2d: the same values as running each branch and
   * concatenating), unless the forward of a branch, its batch norm or its pool is wrapped (a CAM capture of
   * "branches.1", say): then each branch runs its modules and their outputs are concatenated, so the wrapper sees
   * them.
   */
  features(x: Tensor): Tensor {
    const branches = [...this.branches];
    return tidy(() => {
      if (branches.some((b) => b.isWrapped())) return concat(branches.map((b) => b.forward(x)));
      return concatPool2d(branches.map((b) => b.concatInput(x)));
    });
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(flatten(this.features(x)));
  }
}
