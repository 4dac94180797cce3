/**
 * bn(conv(x)), or bn.forwardRelu(conv(x)) with `relu`, as a block writes it (ResNet's, BasicConv2d): in inference
 * (eval mode, no gradient) one conv pass that applies the batch norm as it stores (conv2dBatchnorm2dEval), unless
 * either module's forward is wrapped on the instance (a layer capture then sees both modules run); else the two
 * modules in turn, exactly as before.
 */
import { conv2dBatchnorm2dEval, conv2dBatchnorm2dEvalApplies } from '../ops/conv2d_batchnorm2d.js';
import type { Tensor } from '../tensor.js';
import type { BatchNorm2d } from './batchnorm2d.js';
import type { Conv2d } from './conv2d.js';
import { forwardIsWrapped, Module } from './module.js';

export function convBatchNorm(conv: Conv2d, bn: BatchNorm2d, x: Tensor, relu: boolean): Tensor {
  const fused = fusedEval(conv, bn, x, relu);
  if (fused) return fused;
  const y = conv.forward(x);
  return relu ? bn.forwardRelu(y) : bn.forward(y);
}

/**
 * convBatchNorm as a layer of its own, for a list of layers run in order (forwardInOrder: ResNet's stem). It owns
 * nothing, so it is not registered: the conv and the batch norm keep their places in the module tree.
 */
export class ConvBatchNormLayer extends Module {
  constructor(private readonly conv: Conv2d, private readonly bn: BatchNorm2d, private readonly relu: boolean) {
    super();
  }

  forward(x: Tensor): Tensor {
    return convBatchNorm(this.conv, this.bn, x, this.relu);
  }
}

/**
 * relu(bn(conv(x)) + identity), a residual block's end, in one conv pass in inference (as convBatchNorm, and with
 * `relu`, the block's ReLU module, not wrapped either); else null, and the caller runs the modules and the add.
 */
export function convBatchNormAddRelu(conv: Conv2d, bn: BatchNorm2d, relu: Module, x: Tensor, identity: Tensor):
  Tensor | null {
  if (forwardIsWrapped(relu)) return null;
  return fusedEval(conv, bn, x, false, identity);
}

function fusedEval(conv: Conv2d, bn: BatchNorm2d, x: Tensor, relu: boolean, residual?: Tensor): Tensor | null {
  // Training counts the batch in opArgs: ask only in eval mode, where it counts nothing.
  if (bn.training || forwardIsWrapped(conv) || forwardIsWrapped(bn)) return null;
  const { state, options } = bn.opArgs();
  const { weight, bias } = conv;
  const convOpts = conv.opOptions();
  if (!conv2dBatchnorm2dEvalApplies(x, weight, bias, convOpts, state, options)) return null;
  const tapMajor = conv.evalTapMajorWeights(x) ?? undefined;
  return conv2dBatchnorm2dEval(x, weight, bias, convOpts, state, options,
    { relu, residual, stats: bn.evalStatsRows(), tapMajor });
}
