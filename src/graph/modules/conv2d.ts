/** Conv2d: torch.nn.Conv2d's parameters (weight [out, in/groups, kh, kw], bias [out]) around the conv2d op. */
import { layerInit } from '../init.js';
import type { BatchStatsPartials } from '../ops/batchnorm2d.js';
import { conv2d, conv2dWithBatchStats, type Conv2dOptions } from '../ops/conv2d.js';
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
    return conv2d(x, this.weight, this.bias, this.opOptions());
  }

  /** forward(x), with y's batch statistics partials when the kernel writes them on the way (conv2dWithBatchStats). */
  forwardWithBatchStats(x: Tensor): { y: Tensor; stats: BatchStatsPartials | null } {
    return conv2dWithBatchStats(x, this.weight, this.bias, this.opOptions());
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
