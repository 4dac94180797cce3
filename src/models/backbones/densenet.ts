/**
 * DenseNet-BC as torchvision 0.14 defines it (DenseNet-201: growth 32, blocks [6, 12, 48, 32], 64 initial
 * features, bottleneck 4 x growth). Each dense layer (norm1 -> relu -> 1x1 conv1 -> norm2 -> relu -> 3x3 conv2)
 * reads the concatenation of the block's input and every earlier layer's output, and the block returns the
 * concatenation of all of them; transitions halve channels and size. The head applies ReLU after features.norm5,
 * then global average pool and classifier. Old torchvision files name dense-layer members "norm.1", "conv.2";
 * renameLegacyDenseNetKeys maps them as torchvision's loader does.
 */
import { AvgPool2d } from '../../graph/modules/avgpool2d.js';
import { BatchNorm2d } from '../../graph/modules/batchnorm2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { convBatchNorm } from '../../graph/modules/conv_batchnorm2d.js';
import { Linear } from '../../graph/modules/linear.js';
import { MaxPool2d } from '../../graph/modules/maxpool2d.js';
import { Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { NamedSequential } from '../../graph/modules/named_sequential.js';
import { ReLU } from '../../graph/modules/relu.js';
import { adaptiveAvgpool2d } from '../../graph/ops/adaptive_avgpool2d.js';
import { concat } from '../../graph/ops/concat.js';
import { relu } from '../../graph/ops/relu.js';
import { flatten } from '../../graph/ops/reshape.js';
import { disposeIntermediate, tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import type { WeightMap } from '../../io/weight_tensor.js';
import { Backbone, IMAGENET_NORM, type BackboneConfig } from './common.js';

export interface DenseNetConfig extends BackboneConfig {
  growthRate: number;
  blockConfig: readonly number[];
  numInitFeatures: number;
  bnSize: number;
}

export const DENSENET201 = { growthRate: 32, blockConfig: [6, 12, 48, 32], numInitFeatures: 64, bnSize: 4 } as const;

class DenseLayer extends Module {
  readonly norm1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly conv2: Conv2d;

  constructor(ctx: ModuleContext, inC: number, growthRate: number, bnSize: number) {
    super();
    this.norm1 = this.registerModule('norm1', new BatchNorm2d(ctx, inC));
    this.registerModule('relu1', new ReLU()); // torchvision's module tree; norm1.forwardRelu runs both as one op
    this.conv1 = this.registerModule('conv1', new Conv2d(ctx, inC, bnSize * growthRate, 1, { bias: false }));
    this.norm2 = this.registerModule('norm2', new BatchNorm2d(ctx, bnSize * growthRate));
    this.registerModule('relu2', new ReLU()); // likewise, with norm2 (and conv1 in inference)
    this.conv2 = this.registerModule('conv2', new Conv2d(ctx, bnSize * growthRate, growthRate, 3, { padding: 1, bias: false }));
  }

  /**
   * The new feature maps from the concatenation of every earlier one (torchvision's bn_function's input). norm1
   * comes before its conv, norm2 after one: in inference conv1 applies norm2 and its ReLU as it stores.
   */
  forward(x: Tensor): Tensor {
    return tidy(() => this.conv2.forward(convBatchNorm(this.conv1, this.norm2, this.norm1.forwardRelu(x), true)));
  }
}

class DenseBlock extends Module implements Layer {
  private readonly layers: DenseLayer[];

  constructor(ctx: ModuleContext, numLayers: number, inC: number, growthRate: number, bnSize: number) {
    super();
    this.layers = Array.from({ length: numLayers }, (_, i) =>
      this.registerModule(`denselayer${i + 1}`, new DenseLayer(ctx, inC + i * growthRate, growthRate, bnSize)));
  }

  /**
   * torchvision concatenates the block's input and all the new maps so far before each layer, a copy per map and
   * layer (1,658 dispatches in DenseNet-201). Here the concatenation grows by one map a layer: the last one and the
   * new maps, two copies; the same values, and what each layer's batch norm reads is the same tensor either way.
   */
  forward(x: Tensor): Tensor {
    return tidy(() => {
      let features = x;
      for (const layer of this.layers) {
        const fresh = layer.forward(features);
        const next = concat([features, fresh]);
        if (features !== x) disposeIntermediate(features);
        disposeIntermediate(fresh);
        features = next;
      }
      return features;
    });
  }
}

function transition(ctx: ModuleContext, inC: number, outC: number): NamedSequential {
  return new NamedSequential([
    ['norm', new BatchNorm2d(ctx, inC)],
    ['relu', new ReLU()],
    ['conv', new Conv2d(ctx, inC, outC, 1, { bias: false })],
    ['pool', new AvgPool2d(2, { stride: 2 })],
  ]);
}

export class DenseNet extends Backbone<DenseNetConfig> {
  /** features(x) is this module's output after the functional ReLU torchvision applies before pooling. */
  readonly camLayer = 'features';
  readonly trunk: NamedSequential;
  readonly classifier: Linear;

  constructor(ctx: ModuleContext, config: DenseNetConfig) {
    super(config, IMAGENET_NORM);
    const { growthRate, blockConfig, numInitFeatures, bnSize } = config;
    const trunk = new NamedSequential([
      ['conv0', new Conv2d(ctx, 3, numInitFeatures, 7, { stride: 2, padding: 3, bias: false })],
      ['norm0', new BatchNorm2d(ctx, numInitFeatures)],
      ['relu0', new ReLU()],
      ['pool0', new MaxPool2d(3, { stride: 2, padding: 1 })],
    ]);
    let channels = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      trunk.append(`denseblock${i + 1}`, new DenseBlock(ctx, numLayers, channels, growthRate, bnSize));
      channels += numLayers * growthRate;
      if (i !== blockConfig.length - 1) {
        trunk.append(`transition${i + 1}`, transition(ctx, channels, channels >> 1));
        channels >>= 1;
      }
    });
    trunk.append('norm5', new BatchNorm2d(ctx, channels));
    this.trunk = this.registerModule('features', trunk);
    this.classifier = this.registerModule('classifier', new Linear(ctx, channels, config.numClasses));
  }

  features(x: Tensor): Tensor {
    return relu(this.trunk.forward(x));
  }

  head(features: Tensor): Tensor {
    return this.classifier.forward(flatten(adaptiveAvgpool2d(features, 1)));
  }
}

const LEGACY_KEY = /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/;

/** "...denselayer3.norm.1.weight" -> "...denselayer3.norm1.weight" (torchvision's _load_state_dict pattern). */
export function renameLegacyDenseNetKeys(map: WeightMap): WeightMap {
  const out: WeightMap = new Map();
  for (const [key, t] of map) {
    const m = LEGACY_KEY.exec(key);
    out.set(m ? m[1]! + m[2]! : key, t);
  }
  return out;
}
