/**
 * GoogLeNet (Inception v1) as torchvision 0.14 defines it: BasicConv2d with batch norm eps 1e-3, ceil_mode max
 * pools, Inception blocks whose "5x5" branch is a 3x3 conv (torchvision's known deviation, kept for its weights),
 * global average pool, dropout 0.2 and fc. transformInput (default on, as torchvision's pretrained builder sets it)
 * re-normalises the input inside forward. The auxiliary heads aux1 (after inception4a) and aux2 (after
 * inception4d) exist only with aux: true; forwardWithAux() runs them.
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import type { Dropout } from '../../graph/modules/dropout.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import { Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { Sequential } from '../../graph/modules/sequential.js';
import { adaptiveAvgpool2d } from '../../graph/ops/adaptive_avgpool2d.js';
import { concat } from '../../graph/ops/concat.js';
import { relu } from '../../graph/ops/relu.js';
import { flatten } from '../../graph/ops/reshape.js';
import { disposeIntermediate, tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, BasicConv2d, dropoutLayer, IMAGENET_NORM, TransformInput, type BackboneConfig } from './common.js';

const EPS = 1e-3;

export interface InceptionNetConfig extends BackboneConfig {
  /** Build the auxiliary classifiers (for training with their losses, or to keep them in a state dict). */
  aux: boolean;
  /** torchvision's transform_input: ImageNet-normalised input re-normalised to the ported weights' range. */
  transformInput: boolean;
}

function conv(ctx: ModuleContext, inC: number, outC: number, kernel: number, padding = 0, stride = 1): BasicConv2d {
  return new BasicConv2d(ctx, inC, outC, kernel, { stride, padding, eps: EPS });
}

class Inception extends Module implements Layer {
  readonly branch1: BasicConv2d;
  readonly branch2: Sequential;
  readonly branch3: Sequential;
  readonly branch4: Sequential;

  constructor(ctx: ModuleContext, inC: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.branch1 = this.registerModule('branch1', conv(ctx, inC, ch1x1, 1));
    this.branch2 = this.registerModule('branch2', new Sequential(conv(ctx, inC, ch3x3red, 1), conv(ctx, ch3x3red, ch3x3, 3, 1)));
    this.branch3 = this.registerModule('branch3', new Sequential(conv(ctx, inC, ch5x5red, 1), conv(ctx, ch5x5red, ch5x5, 3, 1)));
    this.branch4 = this.registerModule(
      'branch4',
      new Sequential(new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), conv(ctx, inC, poolProj, 1)),
    );
  }

  forward(x: Tensor): Tensor {
    return tidy(() => concat([this.branch1, this.branch2, this.branch3, this.branch4].map((b) => b.forward(x))));
  }
}

/** adaptive 4x4 average pool -> 1x1 conv to 128 -> fc1 (2048 -> 1024) -> ReLU -> dropout 0.7 -> fc2. */
class InceptionAux extends Module implements Layer {
  readonly conv: BasicConv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly dropout: Dropout;

  constructor(ctx: ModuleContext, inC: number, numClasses: number) {
    super();
    this.conv = this.registerModule('conv', conv(ctx, inC, 128, 1));
    this.fc1 = this.registerModule('fc1', new Linear(ctx, 2048, 1024));
    this.fc2 = this.registerModule('fc2', new Linear(ctx, 1024, numClasses));
    this.dropout = this.registerModule('dropout', dropoutLayer(ctx, 0.7));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const pooled = this.conv.forward(adaptiveAvgpool2d(x, [4, 4]));
      return this.fc2.forward(this.dropout.forward(relu(this.fc1.forward(flatten(pooled)))));
    });
  }
}

export class GoogLeNet extends Backbone<InceptionNetConfig> {
  readonly camLayer = 'inception5b';
  readonly aux1: InceptionAux | null;
  readonly aux2: InceptionAux | null;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly dropout: Dropout;
  readonly fc: Linear;
  private readonly stages: Layer[];
  /** inception4a and inception4d, whose outputs feed aux1 and aux2. */
  private readonly auxTaps: Layer[];
  private readonly transform: TransformInput | null;

  constructor(ctx: ModuleContext, config: InceptionNetConfig) {
    super(config, IMAGENET_NORM);
    this.transform = config.transformInput ? new TransformInput(ctx.gpu) : null;
    const pool = (kernel: number): MaxPool2d => new MaxPool2d(kernel, { stride: 2, ceilMode: true });
    const stage = <L extends Layer>(name: string, layer: L): L => this.registerModule(name, layer);
    this.stages = [
      stage('conv1', conv(ctx, 3, 64, 7, 3, 2)),
      stage('maxpool1', pool(3)),
      stage('conv2', conv(ctx, 64, 64, 1)),
      stage('conv3', conv(ctx, 64, 192, 3, 1)),
      stage('maxpool2', pool(3)),
      stage('inception3a', new Inception(ctx, 192, 64, 96, 128, 16, 32, 32)),
      stage('inception3b', new Inception(ctx, 256, 128, 128, 192, 32, 96, 64)),
      stage('maxpool3', pool(3)),
      stage('inception4a', new Inception(ctx, 480, 192, 96, 208, 16, 48, 64)),
      stage('inception4b', new Inception(ctx, 512, 160, 112, 224, 24, 64, 64)),
      stage('inception4c', new Inception(ctx, 512, 128, 128, 256, 24, 64, 64)),
      stage('inception4d', new Inception(ctx, 512, 112, 144, 288, 32, 64, 64)),
      stage('inception4e', new Inception(ctx, 528, 256, 160, 320, 32, 128, 128)),
      stage('maxpool4', pool(2)),
      stage('inception5a', new Inception(ctx, 832, 256, 160, 320, 32, 128, 128)),
      stage('inception5b', new Inception(ctx, 832, 384, 192, 384, 48, 128, 128)),
    ];
    this.auxTaps = [this.stages[8]!, this.stages[11]!];
    this.aux1 = config.aux ? this.registerModule('aux1', new InceptionAux(ctx, 512, config.numClasses)) : null;
    this.aux2 = config.aux ? this.registerModule('aux2', new InceptionAux(ctx, 528, config.numClasses)) : null;
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.dropout = this.registerModule('dropout', dropoutLayer(ctx, 0.2));
    this.fc = this.registerModule('fc', new Linear(ctx, 1024, config.numClasses));
  }

  features(x: Tensor): Tensor {
    return this.trunk(x).features;
  }

  head(features: Tensor): Tensor {
    return this.fc.forward(this.dropout.forward(flatten(this.avgpool.forward(features))));
  }

  /** Logits and the auxiliary heads' logits [aux1, aux2] (torchvision computes them in training mode only). */
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor[] } {
    if (!this.aux1 || !this.aux2) throw new Error('GoogLeNet: built without auxiliary heads (aux: false)');
    const { features, taps } = this.trunk(x, true);
    return { logits: this.head(features), aux: [this.aux1.forward(taps[0]!), this.aux2.forward(taps[1]!)] };
  }

  override dispose(): void {
    super.dispose();
    this.transform?.dispose();
  }

  /**
   * Runs the stages, freeing each stage's output once the next has read it (as Sequential does); with `tap`, also
   * returns the outputs of inception4a and inception4d (the aux heads' input), which are not freed.
   */
  private trunk(x: Tensor, tap = false): { features: Tensor; taps: Tensor[] } {
    const taps: Tensor[] = [];
    let y = this.transform ? this.transform.apply(x) : x;
    for (const stage of this.stages) {
      const next = stage.forward(y);
      if (y !== x && next !== y && !taps.includes(y)) disposeIntermediate(y);
      y = next;
      if (tap && this.auxTaps.includes(stage)) taps.push(y);
    }
    return { features: y, taps };
  }
}
