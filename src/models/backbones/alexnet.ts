/**
 * AlexNet as torchvision 0.14 defines it (the "one weird trick" variant: 64-192-384-256-256 filters): features,
 * an adaptive 6x6 average pool, and a three-layer classifier with dropout 0.5 whose last layer is classifier.6.
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import type { ModuleContext } from '../../graph/modules/module.js';
import { ReLU } from '../../graph/modules/relu.js';
import { Sequential } from '../../graph/modules/sequential.js';
import { flatten } from '../../graph/ops/reshape.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, dropoutLayer, IMAGENET_NORM, type BackboneConfig } from './common.js';

export class AlexNet extends Backbone {
  readonly camLayer = 'features';
  readonly trunk: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(ctx: ModuleContext, config: BackboneConfig) {
    super(config, IMAGENET_NORM);
    const pool = (): MaxPool2d => new MaxPool2d(3, { stride: 2 });
    this.trunk = this.registerModule(
      'features',
      new Sequential(
        new Conv2d(ctx, 3, 64, 11, { stride: 4, padding: 2 }), new ReLU(), pool(),
        new Conv2d(ctx, 64, 192, 5, { padding: 2 }), new ReLU(), pool(),
        new Conv2d(ctx, 192, 384, 3, { padding: 1 }), new ReLU(),
        new Conv2d(ctx, 384, 256, 3, { padding: 1 }), new ReLU(),
        new Conv2d(ctx, 256, 256, 3, { padding: 1 }), new ReLU(), pool(),
      ),
    );
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(6));
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(
        dropoutLayer(ctx, 0.5), new Linear(ctx, 256 * 6 * 6, 4096), new ReLU(),
        dropoutLayer(ctx, 0.5), new Linear(ctx, 4096, 4096), new ReLU(),
        new Linear(ctx, 4096, config.numClasses),
      ),
    );
  }

  features(x: Tensor): Tensor {
    return this.trunk.forward(x);
  }

  head(features: Tensor): Tensor {
    return this.classifier.forward(flatten(this.avgpool.forward(features)));
  }
}
