/** Conv2d: torch.nn.Conv2d's parameters (weight [out, in/groups, kh, kw], bias [out]) around the conv2d op. */
import { layerInit } from '../init.js';
import type { BatchStatsPartials } from '../ops/batchnorm2d.js';
import { conv2d, conv2dTapMajorWeights, conv2dWithBatchStats, type Conv2dOptions } from '../ops/conv2d.js';
import { keep } from '../scope.js';
import { needsGrad } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { createParameter, Module, type ModuleContext } from './module.js';

type Pair = number | readonly [number, number];

export interface Conv2dModuleOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** A learned per-channel bias (default true). */
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  private evalTapMajor: { version: number; packed: Tensor } | null = null;

  constructor(
    ctx: ModuleContext,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: Conv2dModuleOptions = {},
  ) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(`Conv2d: ${inChannels} in and ${outChannels} out channels do not split into ${this.groups} groups`);
    }
    const shape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    const init = layerInit(ctx.init ?? 'glorot', shape, options.bias ?? true, ctx.rng);
    this.weight = this.registerParameter('weight', createParameter(ctx.gpu, init.weight, shape, 'Conv2d.weight'));
    this.bias = init.bias
      ? this.registerParameter('bias', createParameter(ctx.gpu, init.bias, [outChannels], 'Conv2d.bias'))
      : null;
  }

  forward(x: Tensor): Tensor {
    const inference = !this.training && !needsGrad([x, this.weight, this.bias]);
    const tapMajor = inference ? this.evalTapMajorWeights(x) ?? undefined : undefined;
    return conv2d(x, this.weight, this.bias, this.opOptions(), tapMajor);
  }

  /** forward(x), with y's batch statistics partials when the kernel writes them on the way (conv2dWithBatchStats). */
  forwardWithBatchStats(x: Tensor): { y: Tensor; stats: BatchStatsPartials | null } {
    return conv2dWithBatchStats(x, this.weight, this.bias, this.opOptions());
  }

  /**
   * The weight regrouped as an inference forward over x reads it (conv2dTapMajorWeights), or null where it does not:
   * what forward() and a fused conv + batch norm (convBatchNorm) hand the kernel in eval mode without gradients. Kept
   * between forwards, made again only once the weight was written (Tensor.version: Adam, loadStateDict) or after
   * train(): in inference the regrouping then runs once per conv instead of in every forward, so the forward reads the
   * regrouped weights at every size. ResNet-50 at batch 1 on lavapipe: its 'subgroup' convs ~143 -> ~121 ms of GPU
   * time an image.
   */
  evalTapMajorWeights(x: Tensor): Tensor | null {
    const cached = this.evalTapMajor;
    if (cached && cached.version === this.weight.version) return cached.packed;
    const packed = conv2dTapMajorWeights(x, this.weight, this.bias, this.opOptions());
    if (!packed) return null;
    cached?.packed.dispose();
    this.evalTapMajor = { version: this.weight.version, packed: keep(packed) };
    return packed;
  }

  /** Training writes the weight, so the regrouped copy goes (it would be made again for the next inference). */
  override train(mode = true): this {
    if (mode) this.dropEvalTapMajor();
    return super.train(mode);
  }

  protected override releaseDerived(): void {
    this.dropEvalTapMajor();
    super.releaseDerived();
  }

  private dropEvalTapMajor(): void {
    this.evalTapMajor?.packed.dispose();
    this.evalTapMajor = null;
  }

  /** The options the conv2d op takes for this layer. */
  opOptions(): Conv2dOptions {
    const { stride, padding, dilation, groups } = this;
    return { stride, padding, dilation, groups };
  }
}

function pair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}
