/**
 * Xception as timm defines it (timm's "legacy_xception", ported from Keras by tstandley and Cadene): a stem of two
 * convs, 12 residual blocks of depthwise separable convs (a depthwise 3x3 conv1 with groups = channels, then a
 * pointwise 1x1; no biases), two more separable convs, global average pool and fc. Batch norms use PyTorch's
 * default eps 1e-5; no dropout (drop_rate 0). Input normalised to [-1, 1] (mean 0.5, std 0.5).
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import { BatchNorm2d } from '../../graph/modules/batchnorm2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import { Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { ReLU } from '../../graph/modules/relu.js';
import { forwardInOrder, Sequential } from '../../graph/modules/sequential.js';
import { add } from '../../graph/ops/add.js';
import { flatten } from '../../graph/ops/reshape.js';
import { tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, INCEPTION_NORM, type BackboneConfig } from './common.js';

/** Depthwise conv1 (groups = in channels) then pointwise 1x1, both without bias. */
export class SeparableConv2d extends Module implements Layer {
  readonly conv1: Conv2d;
  readonly pointwise: Conv2d;

  constructor(ctx: ModuleContext, inC: number, outC: number, kernel: number, stride = 1, padding = 0) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(ctx, inC, inC, kernel, { stride, padding, groups: inC, bias: false }));
    this.pointwise = this.registerModule('pointwise', new Conv2d(ctx, inC, outC, 1, { bias: false }));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.pointwise.forward(this.conv1.forward(x)));
  }
}

/**
 * rep: [ReLU, SeparableConv2d 3x3, BatchNorm2d] x reps (without the first ReLU when !startWithRelu), then a 3x3
 * stride-s max pool (padding 1) when s > 1; plus the input, through skip (1x1 conv, stride s) + skipbn when the
 * shape changes.
 */
export class XceptionBlock extends Module implements Layer {
  readonly skip: Conv2d | null;
  readonly skipbn: BatchNorm2d | null;
  readonly rep: Sequential;

  constructor(ctx: ModuleContext, inC: number, outC: number, reps: number, stride: number, startWithRelu = true, growFirst = true) {
    super();
    const needsSkip = outC !== inC || stride !== 1;
    this.skip = needsSkip ? this.registerModule('skip', new Conv2d(ctx, inC, outC, 1, { stride, bias: false })) : null;
    this.skipbn = needsSkip ? this.registerModule('skipbn', new BatchNorm2d(ctx, outC)) : null;
    const rep: Layer[] = [];
    for (let i = 0; i < reps; i++) {
      const c = growFirst ? (i === 0 ? inC : outC) : inC;
      const o = growFirst ? outC : i < reps - 1 ? inC : outC;
      rep.push(new ReLU(), new SeparableConv2d(ctx, c, o, 3, 1, 1), new BatchNorm2d(ctx, o));
    }
    if (!startWithRelu) rep.shift();
    if (stride !== 1) rep.push(new MaxPool2d(3, { stride, padding: 1 }));
    this.rep = this.registerModule('rep', new Sequential(...rep));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const skip = this.skip && this.skipbn ? this.skipbn.forward(this.skip.forward(x)) : x;
      return add(this.rep.forward(x), skip);
    });
  }
}

export class Xception extends Backbone {
  readonly camLayer = 'act4';
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly blocks: XceptionBlock[];
  readonly conv3: SeparableConv2d;
  readonly bn3: BatchNorm2d;
  readonly conv4: SeparableConv2d;
  readonly bn4: BatchNorm2d;
  readonly globalPool: AdaptiveAvgPool2d;
  readonly fc: Linear;
  /** act1..act4: timm's ReLU modules (act4's output is the CAM layer). */
  private readonly acts: ReLU[];

  constructor(ctx: ModuleContext, config: BackboneConfig) {
    super(config, INCEPTION_NORM);
    this.conv1 = this.registerModule('conv1', new Conv2d(ctx, 3, 32, 3, { stride: 2, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(ctx, 32));
    const act = (name: string): ReLU => this.registerModule(name, new ReLU());
    const act1 = act('act1');
    this.conv2 = this.registerModule('conv2', new Conv2d(ctx, 32, 64, 3, { bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(ctx, 64));
    const act2 = act('act2');
    const specs: [number, number, number, number, boolean?, boolean?][] = [
      [64, 128, 2, 2, false],
      [128, 256, 2, 2],
      [256, 728, 2, 2],
      ...Array.from({ length: 8 }, (): [number, number, number, number] => [728, 728, 3, 1]),
      [728, 1024, 2, 2, true, false],
    ];
    this.blocks = specs.map(([inC, outC, reps, stride, startWithRelu, growFirst], i) =>
      this.registerModule(`block${i + 1}`, new XceptionBlock(ctx, inC, outC, reps, stride, startWithRelu, growFirst)));
    this.conv3 = this.registerModule('conv3', new SeparableConv2d(ctx, 1024, 1536, 3, 1, 1));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(ctx, 1536));
    const act3 = act('act3');
    this.conv4 = this.registerModule('conv4', new SeparableConv2d(ctx, 1536, 2048, 3, 1, 1));
    this.bn4 = this.registerModule('bn4', new BatchNorm2d(ctx, 2048));
    this.acts = [act1, act2, act3, act('act4')];
    this.globalPool = this.registerModule('global_pool', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(ctx, 2048, config.numClasses));
  }

  features(x: Tensor): Tensor {
    const [act1, act2, act3, act4] = this.acts as [ReLU, ReLU, ReLU, ReLU];
    return forwardInOrder([
      this.conv1, this.bn1, act1, this.conv2, this.bn2, act2, ...this.blocks, this.conv3, this.bn3, act3, this.conv4, this.bn4, act4,
    ], x);
  }

  head(features: Tensor): Tensor {
    return this.fc.forward(flatten(this.globalPool.forward(features)));
  }
}
