/**
 * Inception-ResNet-v2 as timm defines it (ported from TensorFlow by Cadene): BasicConv2d (conv without bias, batch
 * norm eps 1e-3, ReLU), stem and Mixed_5b (whose 3x3 average pool excludes padding from the divisor), then
 * residual blocks whose branch sum is scaled before it is added to the input: 10 x Block35 (0.17), Mixed_6a,
 * 20 x Block17 (0.10), Mixed_7a, 9 x Block8 (0.20) and a final Block8 (scale 1, no ReLU); conv2d_7b, global average
 * pool and classif. No dropout (drop_rate 0). Input normalised to [-1, 1] (mean 0.5, std 0.5).
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import { AvgPool2d } from '../../graph/modules/avgpool2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import { Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { ReLU } from '../../graph/modules/relu.js';
import { forwardInOrder, Sequential } from '../../graph/modules/sequential.js';
import { add } from '../../graph/ops/add.js';
import { concat } from '../../graph/ops/concat.js';
import { flatten } from '../../graph/ops/reshape.js';
import { tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, BasicConv2d, INCEPTION_NORM, type BackboneConfig } from './common.js';

type Pair = number | readonly [number, number];

function conv(ctx: ModuleContext, inC: number, outC: number, kernel: Pair, stride = 1, padding: Pair = 0): BasicConv2d {
  return new BasicConv2d(ctx, inC, outC, kernel, { stride, padding, eps: 1e-3, reluModule: true });
}

/** Branches registered as branch0, branch1, ... and concatenated. */
class Mixed extends Module implements Layer {
  private readonly branches: Layer[];

  constructor(branches: Layer[]) {
    super();
    this.branches = branches.map((b, i) => this.registerModule(`branch${i}`, b));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => concat(this.branches.map((b) => b.forward(x))));
  }
}

function mixed5b(ctx: ModuleContext): Mixed {
  return new Mixed([
    conv(ctx, 192, 96, 1),
    new Sequential(conv(ctx, 192, 48, 1), conv(ctx, 48, 64, 5, 1, 2)),
    new Sequential(conv(ctx, 192, 64, 1), conv(ctx, 64, 96, 3, 1, 1), conv(ctx, 96, 96, 3, 1, 1)),
    new Sequential(new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }), conv(ctx, 192, 64, 1)),
  ]);
}

function mixed6a(ctx: ModuleContext): Mixed {
  return new Mixed([
    conv(ctx, 320, 384, 3, 2),
    new Sequential(conv(ctx, 320, 256, 1), conv(ctx, 256, 256, 3, 1, 1), conv(ctx, 256, 384, 3, 2)),
    new MaxPool2d(3, { stride: 2 }),
  ]);
}

function mixed7a(ctx: ModuleContext): Mixed {
  return new Mixed([
    new Sequential(conv(ctx, 1088, 256, 1), conv(ctx, 256, 384, 3, 2)),
    new Sequential(conv(ctx, 1088, 256, 1), conv(ctx, 256, 288, 3, 2)),
    new Sequential(conv(ctx, 1088, 256, 1), conv(ctx, 256, 288, 3, 1, 1), conv(ctx, 288, 320, 3, 2)),
    new MaxPool2d(3, { stride: 2 }),
  ]);
}

/** relu(x + scale * conv2d(concat(branches(x)))), the ReLU skipped for the final Block8. */
class ResidualBlock extends Module implements Layer {
  private readonly branches: Layer[];
  readonly conv2d: Conv2d;
  private readonly relu: ReLU | null;

  constructor(ctx: ModuleContext, branches: Layer[], channels: number, readonly scale: number, useRelu = true) {
    super();
    this.branches = branches.map((b, i) => this.registerModule(`branch${i}`, b));
    const mixedC = this.branches.reduce((sum, b) => sum + outChannels(b), 0);
    this.conv2d = this.registerModule('conv2d', new Conv2d(ctx, mixedC, channels, 1));
    this.relu = useRelu ? this.registerModule('relu', new ReLU()) : null;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = add(x, this.conv2d.forward(concat(this.branches.map((b) => b.forward(x)))), this.scale);
      return this.relu ? this.relu.forward(y) : y;
    });
  }
}

/** Output channels of a branch: its last BasicConv2d's. */
function outChannels(branch: Layer): number {
  const last = branch instanceof Sequential ? branch.layers[branch.layers.length - 1]! : branch;
  if (!(last instanceof BasicConv2d)) throw new TypeError('Inception-ResNet-v2: a residual branch must end in a conv');
  return last.conv.outChannels;
}

function block35(ctx: ModuleContext): ResidualBlock {
  return new ResidualBlock(ctx, [
    conv(ctx, 320, 32, 1),
    new Sequential(conv(ctx, 320, 32, 1), conv(ctx, 32, 32, 3, 1, 1)),
    new Sequential(conv(ctx, 320, 32, 1), conv(ctx, 32, 48, 3, 1, 1), conv(ctx, 48, 64, 3, 1, 1)),
  ], 320, 0.17);
}

function block17(ctx: ModuleContext): ResidualBlock {
  return new ResidualBlock(ctx, [
    conv(ctx, 1088, 192, 1),
    new Sequential(conv(ctx, 1088, 128, 1), conv(ctx, 128, 160, [1, 7], 1, [0, 3]), conv(ctx, 160, 192, [7, 1], 1, [3, 0])),
  ], 1088, 0.1);
}

function block8(ctx: ModuleContext, scale: number, useRelu: boolean): ResidualBlock {
  return new ResidualBlock(ctx, [
    conv(ctx, 2080, 192, 1),
    new Sequential(conv(ctx, 2080, 192, 1), conv(ctx, 192, 224, [1, 3], 1, [0, 1]), conv(ctx, 224, 256, [3, 1], 1, [1, 0])),
  ], 2080, scale, useRelu);
}

export class InceptionResNetV2 extends Backbone {
  readonly camLayer = 'conv2d_7b';
  readonly globalPool: AdaptiveAvgPool2d;
  readonly classif: Linear;
  private readonly stages: Layer[];

  constructor(ctx: ModuleContext, config: BackboneConfig) {
    super(config, INCEPTION_NORM);
    const stage = <L extends Layer>(name: string, layer: L): L => this.registerModule(name, layer);
    const repeat = (count: number, make: () => ResidualBlock): Sequential => new Sequential(...Array.from({ length: count }, make));
    this.stages = [
      stage('conv2d_1a', conv(ctx, 3, 32, 3, 2)),
      stage('conv2d_2a', conv(ctx, 32, 32, 3)),
      stage('conv2d_2b', conv(ctx, 32, 64, 3, 1, 1)),
      stage('maxpool_3a', new MaxPool2d(3, { stride: 2 })),
      stage('conv2d_3b', conv(ctx, 64, 80, 1)),
      stage('conv2d_4a', conv(ctx, 80, 192, 3)),
      stage('maxpool_5a', new MaxPool2d(3, { stride: 2 })),
      stage('mixed_5b', mixed5b(ctx)),
      stage('repeat', repeat(10, () => block35(ctx))),
      stage('mixed_6a', mixed6a(ctx)),
      stage('repeat_1', repeat(20, () => block17(ctx))),
      stage('mixed_7a', mixed7a(ctx)),
      stage('repeat_2', repeat(9, () => block8(ctx, 0.2, true))),
      stage('block8', block8(ctx, 1, false)),
      stage('conv2d_7b', conv(ctx, 2080, 1536, 1)),
    ];
    this.globalPool = stage('global_pool', new AdaptiveAvgPool2d(1));
    this.classif = stage('classif', new Linear(ctx, 1536, config.numClasses));
  }

  features(x: Tensor): Tensor {
    return forwardInOrder(this.stages, x);
  }

  head(features: Tensor): Tensor {
    return this.classif.forward(flatten(this.globalPool.forward(features)));
  }
}
