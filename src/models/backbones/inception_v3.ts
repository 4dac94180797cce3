/**
 * Inception-v3 as torchvision 0.14 defines it: BasicConv2d with batch norm eps 1e-3, InceptionA..E blocks whose
 * pool branches are functional (3x3 average pools counting padding, as F.avg_pool2d's default; 3x3 stride-2 max
 * pools), global average pool, dropout 0.5 and fc. transformInput (default on, as torchvision's pretrained builder
 * sets it) re-normalises the input inside forward. AuxLogits (after Mixed_6e) exists only with aux: true; it needs
 * Mixed_6e at 17x17 or more (a 299 input).
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import type { Dropout } from '../../graph/modules/dropout.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import { Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { forwardInOrder } from '../../graph/modules/sequential.js';
import { adaptiveAvgpool2d } from '../../graph/ops/adaptive_avgpool2d.js';
import { avgpool2d } from '../../graph/ops/avgpool2d.js';
import { concat } from '../../graph/ops/concat.js';
import { maxpool2d } from '../../graph/ops/maxpool2d.js';
import { flatten } from '../../graph/ops/reshape.js';
import { tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, BasicConv2d, dropoutLayer, IMAGENET_NORM, TransformInput } from './common.js';
import type { InceptionNetConfig } from './googlenet.js';

type Pair = number | readonly [number, number];

/** The blocks register their convs by torchvision's names, in its order. */
abstract class Block extends Module implements Layer {
  protected constructor(private readonly ctx: ModuleContext) {
    super();
  }

  protected conv(name: string, inC: number, outC: number, kernel: Pair, padding: Pair = 0, stride = 1): BasicConv2d {
    return this.registerModule(name, new BasicConv2d(this.ctx, inC, outC, kernel, { stride, padding, eps: 1e-3 }));
  }

  abstract forward(x: Tensor): Tensor;
}

const avgPool3 = (x: Tensor): Tensor => avgpool2d(x, { kernel: 3, stride: 1, padding: 1 });
const maxPool3s2 = (x: Tensor): Tensor => maxpool2d(x, { kernel: 3, stride: 2 });

class InceptionA extends Block {
  private readonly c: BasicConv2d[];

  constructor(ctx: ModuleContext, inC: number, poolFeatures: number) {
    super(ctx);
    this.c = [
      this.conv('branch1x1', inC, 64, 1),
      this.conv('branch5x5_1', inC, 48, 1),
      this.conv('branch5x5_2', 48, 64, 5, 2),
      this.conv('branch3x3dbl_1', inC, 64, 1),
      this.conv('branch3x3dbl_2', 64, 96, 3, 1),
      this.conv('branch3x3dbl_3', 96, 96, 3, 1),
      this.conv('branch_pool', inC, poolFeatures, 1),
    ];
  }

  forward(x: Tensor): Tensor {
    const [b1, b5a, b5b, d1, d2, d3, bp] = this.c as [BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d];
    return tidy(() => concat([
      b1.forward(x),
      b5b.forward(b5a.forward(x)),
      d3.forward(d2.forward(d1.forward(x))),
      bp.forward(avgPool3(x)),
    ]));
  }
}

class InceptionB extends Block {
  private readonly c: BasicConv2d[];

  constructor(ctx: ModuleContext, inC: number) {
    super(ctx);
    this.c = [
      this.conv('branch3x3', inC, 384, 3, 0, 2),
      this.conv('branch3x3dbl_1', inC, 64, 1),
      this.conv('branch3x3dbl_2', 64, 96, 3, 1),
      this.conv('branch3x3dbl_3', 96, 96, 3, 0, 2),
    ];
  }

  forward(x: Tensor): Tensor {
    const [b3, d1, d2, d3] = this.c as [BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d];
    return tidy(() => concat([b3.forward(x), d3.forward(d2.forward(d1.forward(x))), maxPool3s2(x)]));
  }
}

class InceptionC extends Block {
  private readonly c: BasicConv2d[];

  constructor(ctx: ModuleContext, inC: number, c7: number) {
    super(ctx);
    this.c = [
      this.conv('branch1x1', inC, 192, 1),
      this.conv('branch7x7_1', inC, c7, 1),
      this.conv('branch7x7_2', c7, c7, [1, 7], [0, 3]),
      this.conv('branch7x7_3', c7, 192, [7, 1], [3, 0]),
      this.conv('branch7x7dbl_1', inC, c7, 1),
      this.conv('branch7x7dbl_2', c7, c7, [7, 1], [3, 0]),
      this.conv('branch7x7dbl_3', c7, c7, [1, 7], [0, 3]),
      this.conv('branch7x7dbl_4', c7, c7, [7, 1], [3, 0]),
      this.conv('branch7x7dbl_5', c7, 192, [1, 7], [0, 3]),
      this.conv('branch_pool', inC, 192, 1),
    ];
  }

  forward(x: Tensor): Tensor {
    const c = this.c;
    const chain = (from: number, to: number): Tensor => forwardInOrder(c.slice(from, to), x);
    return tidy(() => concat([chain(0, 1), chain(1, 4), chain(4, 9), c[9]!.forward(avgPool3(x))]));
  }
}

class InceptionD extends Block {
  private readonly c: BasicConv2d[];

  constructor(ctx: ModuleContext, inC: number) {
    super(ctx);
    this.c = [
      this.conv('branch3x3_1', inC, 192, 1),
      this.conv('branch3x3_2', 192, 320, 3, 0, 2),
      this.conv('branch7x7x3_1', inC, 192, 1),
      this.conv('branch7x7x3_2', 192, 192, [1, 7], [0, 3]),
      this.conv('branch7x7x3_3', 192, 192, [7, 1], [3, 0]),
      this.conv('branch7x7x3_4', 192, 192, 3, 0, 2),
    ];
  }

  forward(x: Tensor): Tensor {
    const chain = (from: number, to: number): Tensor => forwardInOrder(this.c.slice(from, to), x);
    return tidy(() => concat([chain(0, 2), chain(2, 6), maxPool3s2(x)]));
  }
}

class InceptionE extends Block {
  private readonly c: BasicConv2d[];

  constructor(ctx: ModuleContext, inC: number) {
    super(ctx);
    this.c = [
      this.conv('branch1x1', inC, 320, 1),
      this.conv('branch3x3_1', inC, 384, 1),
      this.conv('branch3x3_2a', 384, 384, [1, 3], [0, 1]),
      this.conv('branch3x3_2b', 384, 384, [3, 1], [1, 0]),
      this.conv('branch3x3dbl_1', inC, 448, 1),
      this.conv('branch3x3dbl_2', 448, 384, 3, 1),
      this.conv('branch3x3dbl_3a', 384, 384, [1, 3], [0, 1]),
      this.conv('branch3x3dbl_3b', 384, 384, [3, 1], [1, 0]),
      this.conv('branch_pool', inC, 192, 1),
    ];
  }

  forward(x: Tensor): Tensor {
    const [b1, s1, s2a, s2b, d1, d2, d3a, d3b, bp] = this.c as [
      BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d, BasicConv2d,
    ];
    return tidy(() => {
      const s = s1.forward(x);
      const d = d2.forward(d1.forward(x));
      return concat([b1.forward(x), s2a.forward(s), s2b.forward(s), d3a.forward(d), d3b.forward(d), bp.forward(avgPool3(x))]);
    });
  }
}

/** 5x5 stride-3 average pool -> conv0 (1x1, 128) -> conv1 (5x5, 768) -> global average pool -> fc. */
class InceptionAux extends Block {
  readonly conv0: BasicConv2d;
  readonly conv1: BasicConv2d;
  readonly fc: Linear;

  constructor(ctx: ModuleContext, inC: number, numClasses: number) {
    super(ctx);
    this.conv0 = this.conv('conv0', inC, 128, 1);
    this.conv1 = this.conv('conv1', 128, 768, 5);
    this.fc = this.registerModule('fc', new Linear(ctx, 768, numClasses));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = this.conv1.forward(this.conv0.forward(avgpool2d(x, { kernel: 5, stride: 3 })));
      return this.fc.forward(flatten(adaptiveAvgpool2d(y, 1)));
    });
  }
}

export class InceptionV3 extends Backbone<InceptionNetConfig> {
  readonly camLayer = 'Mixed_7c';
  readonly AuxLogits: InceptionAux | null;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly dropout: Dropout;
  readonly fc: Linear;
  private readonly beforeAux: Layer[];
  private readonly afterAux: Layer[];
  private readonly transform: TransformInput | null;

  constructor(ctx: ModuleContext, config: InceptionNetConfig) {
    super(config, IMAGENET_NORM);
    this.transform = config.transformInput ? new TransformInput(ctx.gpu) : null;
    const stage = <L extends Layer>(name: string, layer: L): L => this.registerModule(name, layer);
    const conv = (inC: number, outC: number, kernel: number, padding = 0, stride = 1): BasicConv2d =>
      new BasicConv2d(ctx, inC, outC, kernel, { stride, padding, eps: 1e-3 });
    this.beforeAux = [
      stage('Conv2d_1a_3x3', conv(3, 32, 3, 0, 2)),
      stage('Conv2d_2a_3x3', conv(32, 32, 3)),
      stage('Conv2d_2b_3x3', conv(32, 64, 3, 1)),
      stage('maxpool1', new MaxPool2d(3, { stride: 2 })),
      stage('Conv2d_3b_1x1', conv(64, 80, 1)),
      stage('Conv2d_4a_3x3', conv(80, 192, 3)),
      stage('maxpool2', new MaxPool2d(3, { stride: 2 })),
      stage('Mixed_5b', new InceptionA(ctx, 192, 32)),
      stage('Mixed_5c', new InceptionA(ctx, 256, 64)),
      stage('Mixed_5d', new InceptionA(ctx, 288, 64)),
      stage('Mixed_6a', new InceptionB(ctx, 288)),
      stage('Mixed_6b', new InceptionC(ctx, 768, 128)),
      stage('Mixed_6c', new InceptionC(ctx, 768, 160)),
      stage('Mixed_6d', new InceptionC(ctx, 768, 160)),
      stage('Mixed_6e', new InceptionC(ctx, 768, 192)),
    ];
    this.AuxLogits = config.aux ? stage('AuxLogits', new InceptionAux(ctx, 768, config.numClasses)) : null;
    this.afterAux = [
      stage('Mixed_7a', new InceptionD(ctx, 768)),
      stage('Mixed_7b', new InceptionE(ctx, 1280)),
      stage('Mixed_7c', new InceptionE(ctx, 2048)),
    ];
    this.avgpool = stage('avgpool', new AdaptiveAvgPool2d(1));
    this.dropout = stage('dropout', dropoutLayer(ctx, 0.5));
    this.fc = stage('fc', new Linear(ctx, 2048, config.numClasses));
  }

  features(x: Tensor): Tensor {
    return this.run(this.afterAux, this.mixed6e(x));
  }

  head(features: Tensor): Tensor {
    return this.fc.forward(flatten(this.dropout.forward(this.avgpool.forward(features))));
  }

  /** Logits and [AuxLogits' logits] (torchvision computes the latter in training mode only). */
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor[] } {
    if (!this.AuxLogits) throw new Error('InceptionV3: built without the auxiliary head (aux: false)');
    const mid = this.mixed6e(x);
    return { logits: this.head(this.run(this.afterAux, mid)), aux: [this.AuxLogits.forward(mid)] };
  }

  override dispose(): void {
    super.dispose();
    this.transform?.dispose();
  }

  private mixed6e(x: Tensor): Tensor {
    return tidy(() => this.run(this.beforeAux, this.transform ? this.transform.apply(x) : x));
  }

  private run(layers: readonly Layer[], x: Tensor): Tensor {
    return forwardInOrder(layers, x);
  }
}
