/** Linear: torch.nn.Linear's parameters (weight [out, in], bias [out]) around the linear op, y = x w^T + b. */
import { layerInit } from '../init.js';
import { linear } from '../ops/linear.js';
import type { Tensor } from '../tensor.js';
import { createParameter, Module, type ModuleContext } from './module.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    ctx: ModuleContext,
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    const shape = [outFeatures, inFeatures];
    const init = layerInit(ctx.init ?? 'glorot', shape, options.bias ?? true, ctx.rng);
    this.weight = this.registerParameter('weight', createParameter(ctx.gpu, init.weight, shape, 'Linear.weight'));
    this.bias = init.bias
      ? this.registerParameter('bias', createParameter(ctx.gpu, init.bias, [outFeatures], 'Linear.bias'))
      : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
