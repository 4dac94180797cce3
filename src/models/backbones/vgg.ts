/**
 * VGG-16 and VGG-19 (configurations D and E, no batch norm) as torchvision 0.14 defines them: 3x3 convs with
 * ReLU and 2x2 max pools, an adaptive 7x7 average pool, and a classifier Linear(25088, 4096) -> ReLU -> Dropout ->
 * Linear(4096, 4096) -> ReLU -> Dropout -> Linear(4096, classes) (classifier.6). The first classifier weight is
 * 411 MB, over a 128 MiB storage binding; the linear op binds it in row slices.
 */
import { AdaptiveAvgPool2d } from '../../graph/modules/adaptive_avgpool2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import type { Layer, ModuleContext } from '../../graph/modules/module.js';
import { ReLU } from '../../graph/modules/relu.js';
import { Sequential } from '../../graph/modules/sequential.js';
import { flatten } from '../../graph/ops/reshape.js';
import type { Tensor } from '../../graph/tensor.js';
import { Backbone, dropoutLayer, IMAGENET_NORM, type BackboneConfig } from './common.js';

/** Conv widths, 'M' a max pool (torchvision's cfgs). */
export const VGG_LAYOUTS = {
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
} as const satisfies Record<string, readonly (number | 'M')[]>;

export type VggVariant = keyof typeof VGG_LAYOUTS;

export class Vgg extends Backbone {
  readonly camLayer = 'features';
  readonly trunk: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(ctx: ModuleContext, readonly variant: VggVariant, config: BackboneConfig) {
    super(config, IMAGENET_NORM);
    const layers: Layer[] = [];
    let channels = 3;
    for (const v of VGG_LAYOUTS[variant]) {
      if (v === 'M') layers.push(new MaxPool2d(2, { stride: 2 }));
      else {
        layers.push(new Conv2d(ctx, channels, v, 3, { padding: 1 }), new ReLU());
        channels = v;
      }
    }
    this.trunk = this.registerModule('features', new Sequential(...layers));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(7));
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(
        new Linear(ctx, 512 * 7 * 7, 4096), new ReLU(), dropoutLayer(ctx, 0.5),
        new Linear(ctx, 4096, 4096), new ReLU(), dropoutLayer(ctx, 0.5),
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
