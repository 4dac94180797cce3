/**
 * SqueezeNet 1.0 and 1.1 as torchvision 0.14 defines them: Fire modules (1x1 squeeze, then 1x1 and 3x3 expands
 * concatenated, each with ReLU) between ceil_mode 3x3 max pools, and a convolutional classifier: dropout 0.5,
 * final_conv = classifier.1 (1x1 conv to the classes), ReLU, global average pool.
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import { Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { ReLU } from '../../graph/modules/relu.js';
import { Sequential } from '../../graph/modules/sequential.js';
import { concat } from '../../graph/ops/concat.js';
import { flatten } from '../../graph/ops/reshape.js';
import { tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, dropoutLayer, IMAGENET_NORM, type BackboneConfig } from './common.js';

export class Fire extends Module implements Layer {
  readonly squeeze: Conv2d;
  readonly expand1x1: Conv2d;
  readonly expand3x3: Conv2d;
  private readonly acts: [ReLU, ReLU, ReLU];

  constructor(ctx: ModuleContext, inC: number, squeezeC: number, expand1x1C: number, expand3x3C: number) {
    super();
    this.squeeze = this.registerModule('squeeze', new Conv2d(ctx, inC, squeezeC, 1));
    const squeezeAct = this.registerModule('squeeze_activation', new ReLU());
    this.expand1x1 = this.registerModule('expand1x1', new Conv2d(ctx, squeezeC, expand1x1C, 1));
    const expand1x1Act = this.registerModule('expand1x1_activation', new ReLU());
    this.expand3x3 = this.registerModule('expand3x3', new Conv2d(ctx, squeezeC, expand3x3C, 3, { padding: 1 }));
    this.acts = [squeezeAct, expand1x1Act, this.registerModule('expand3x3_activation', new ReLU())];
  }

  forward(x: Tensor): Tensor {
    const [squeezeAct, expand1x1Act, expand3x3Act] = this.acts;
    return tidy(() => {
      const s = squeezeAct.forward(this.squeeze.forward(x));
      return concat([expand1x1Act.forward(this.expand1x1.forward(s)), expand3x3Act.forward(this.expand3x3.forward(s))]);
    });
  }
}

export type SqueezeNetVersion = '1_0' | '1_1';

export class SqueezeNet extends Backbone {
  readonly camLayer = 'features';
  readonly trunk: Sequential;
  readonly classifier: Sequential;

  constructor(ctx: ModuleContext, readonly version: SqueezeNetVersion, config: BackboneConfig) {
    super(config, IMAGENET_NORM);
    const pool = (): MaxPool2d => new MaxPool2d(3, { stride: 2, ceilMode: true });
    const fire = (inC: number, s: number, e: number): Fire => new Fire(ctx, inC, s, e, e);
    const layers: Layer[] = version === '1_0'
      ? [
          new Conv2d(ctx, 3, 96, 7, { stride: 2 }), new ReLU(), pool(),
          fire(96, 16, 64), fire(128, 16, 64), fire(128, 32, 128), pool(),
          fire(256, 32, 128), fire(256, 48, 192), fire(384, 48, 192), fire(384, 64, 256), pool(),
          fire(512, 64, 256),
        ]
      : [
          new Conv2d(ctx, 3, 64, 3, { stride: 2 }), new ReLU(), pool(),
          fire(64, 16, 64), fire(128, 16, 64), pool(),
          fire(128, 32, 128), fire(256, 32, 128), pool(),
          fire(256, 48, 192), fire(384, 48, 192), fire(384, 64, 256), fire(512, 64, 256),
        ];
    this.trunk = this.registerModule('features', new Sequential(...layers));
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(dropoutLayer(ctx, 0.5), new Conv2d(ctx, 512, config.numClasses, 1), new ReLU(), new AdaptiveAvgPool2d(1)),
    );
  }

  features(x: Tensor): Tensor {
    return this.trunk.forward(x);
  }

  head(features: Tensor): Tensor {
    return flatten(this.classifier.forward(features));
  }
}
