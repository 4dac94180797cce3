/**
 * ResNet-18 (BasicBlock [2, 2, 2, 2]), ResNet-50 ([3, 4, 6, 3]) and ResNet-101 ([3, 4, 23, 3]) with Bottleneck
 * blocks as torchvision 0.14 defines them (v1.5: the stride of a downsampling bottleneck is on its 3x3 conv).
 * Convs have no bias; each block adds its input (through downsample = 1x1 conv + batch norm when the shape
 * changes) before the last ReLU. Head: global average pool and fc.
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import { BatchNorm2d } from '../../graph/modules/batchnorm2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { convBatchNorm, convBatchNormAddRelu, ConvBatchNormLayer } from '../../graph/modules/conv_batchnorm2d.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import { forwardIsWrapped, Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { ReLU } from '../../graph/modules/relu.js';
import { forwardInOrder, Sequential } from '../../graph/modules/sequential.js';
import { add } from '../../graph/ops/add.js';
import { addRelu } from '../../graph/ops/add_relu.js';
import { flatten } from '../../graph/ops/reshape.js';
import { tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, IMAGENET_NORM, type BackboneConfig } from './common.js';

/**
 * relu(out + identity), a block's end, as one op (addRelu: a pass over the block's output fewer), unless the block's
 * ReLU module is wrapped on the instance (a layer capture), which then sees the sum as its input.
 */
function residualRelu(relu: ReLU, out: Tensor, identity: Tensor): Tensor {
  if (forwardIsWrapped(relu)) return relu.forward(add(out, identity));
  return addRelu(out, identity);
}

/**
 * relu(bn(conv(out)) + identity), a block's last conv and batch norm and its end: in inference one conv pass
 * (convBatchNormAddRelu), else the modules and residualRelu.
 */
function blockEnd(conv: Conv2d, bn: BatchNorm2d, relu: ReLU, out: Tensor, identity: Tensor): Tensor {
  const fused = convBatchNormAddRelu(conv, bn, relu, out, identity);
  return fused ?? residualRelu(relu, convBatchNorm(conv, bn, out, false), identity);
}

/**
 * A block's identity: x, or its downsample branch (1x1 conv, batch norm), in one conv pass in inference
 * (convBatchNorm) unless a capture wraps the branch itself.
 */
function identityOf(downsample: Sequential | null, x: Tensor): Tensor {
  if (!downsample) return x;
  if (forwardIsWrapped(downsample)) return downsample.forward(x);
  const [conv, bn] = downsample.layers as [Conv2d, BatchNorm2d];
  return convBatchNorm(conv, bn, x, false);
}

function downsample(ctx: ModuleContext, inChannels: number, outChannels: number, stride: number): Sequential {
  return new Sequential(new Conv2d(ctx, inChannels, outChannels, 1, { stride, bias: false }), new BatchNorm2d(ctx, outChannels));
}

export class BasicBlock extends Module implements Layer {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(ctx: ModuleContext, inChannels: number, planes: number, stride: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(ctx, inChannels, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(ctx, planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', new Conv2d(ctx, planes, planes, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(ctx, planes));
    const needs = stride !== 1 || inChannels !== planes;
    this.downsample = needs ? this.registerModule('downsample', downsample(ctx, inChannels, planes, stride)) : null;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const out = convBatchNorm(this.conv1, this.bn1, x, true);
      return blockEnd(this.conv2, this.bn2, this.relu, out, identityOf(this.downsample, x));
    });
  }
}

export class Bottleneck extends Module implements Layer {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu: ReLU;
  readonly downsample: Sequential | null;

  constructor(ctx: ModuleContext, inChannels: number, planes: number, stride: number) {
    super();
    const out = planes * Bottleneck.expansion;
    this.conv1 = this.registerModule('conv1', new Conv2d(ctx, inChannels, planes, 1, { bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(ctx, planes));
    this.conv2 = this.registerModule('conv2', new Conv2d(ctx, planes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(ctx, planes));
    this.conv3 = this.registerModule('conv3', new Conv2d(ctx, planes, out, 1, { bias: false }));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(ctx, out));
    this.relu = this.registerModule('relu', new ReLU());
    const needs = stride !== 1 || inChannels !== out;
    this.downsample = needs ? this.registerModule('downsample', downsample(ctx, inChannels, out, stride)) : null;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let out = convBatchNorm(this.conv1, this.bn1, x, true);
      out = convBatchNorm(this.conv2, this.bn2, out, true);
      return blockEnd(this.conv3, this.bn3, this.relu, out, identityOf(this.downsample, x));
    });
  }
}

export const RESNET_LAYOUTS = {
  resnet18: { block: BasicBlock, layers: [2, 2, 2, 2] },
  resnet50: { block: Bottleneck, layers: [3, 4, 6, 3] },
  resnet101: { block: Bottleneck, layers: [3, 4, 23, 3] },
} as const;

export type ResNetVariant = keyof typeof RESNET_LAYOUTS;

export class ResNet extends Backbone {
  readonly camLayer = 'layer4';
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  /** Registered for PyTorch's module tree; the stem runs conv1, bn1 and the ReLU as one layer (stem). */
  readonly relu: ReLU;
  private readonly stem: ConvBatchNormLayer;
  readonly maxpool: MaxPool2d;
  readonly layers: Sequential[];
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Linear;

  constructor(ctx: ModuleContext, readonly variant: ResNetVariant, config: BackboneConfig) {
    super(config, IMAGENET_NORM);
    const { block: Block, layers } = RESNET_LAYOUTS[variant];
    this.conv1 = this.registerModule('conv1', new Conv2d(ctx, 3, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(ctx, 64));
    this.relu = this.registerModule('relu', new ReLU());
    this.stem = new ConvBatchNormLayer(this.conv1, this.bn1, true);
    this.maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let channels = 64;
    this.layers = layers.map((count, i) => {
      const planes = 64 * 2 ** i;
      const blocks = Array.from({ length: count }, (_, j) => {
        const b = new Block(ctx, channels, planes, j === 0 && i > 0 ? 2 : 1);
        channels = planes * Block.expansion;
        return b;
      });
      return this.registerModule(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(ctx, channels, config.numClasses));
  }

  features(x: Tensor): Tensor {
    return forwardInOrder([this.stem, this.maxpool, ...this.layers], x);
  }

  head(features: Tensor): Tensor {
    return this.fc.forward(flatten(this.avgpool.forward(features)));
  }
}
