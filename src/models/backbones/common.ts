/**
 * What the ImageNet backbones share: their config, the base class (input spec, features -> head), the input
 * normalisations of their sources, BasicConv2d (conv without bias -> batch norm -> ReLU) and torchvision's
 * transform_input.
 */
import { BatchNorm2d } from '../../graph/modules/batchnorm2d.js';
import { Conv2d } from '../../graph/modules/conv2d.js';
import { convBatchNorm } from '../../graph/modules/conv_batchnorm2d.js';
import { Dropout } from '../../graph/modules/dropout.js';
import { createBuffer, Module, type Layer, type ModuleContext } from '../../graph/modules/module.js';
import { ReLU } from '../../graph/modules/relu.js';
import { conv2d } from '../../graph/ops/conv2d.js';
import { tidy } from '../../graph/scope.js';
import type { Tensor } from '../../graph/tensor.js';
import type { Gpu } from '../../runtime/gpu.js';
import type { Classifier, InputSpec } from '../classifier.js';

type Pair = number | readonly [number, number];

/** Per-channel (x - mean) / std after scaling a gray image to [0, 1] and replicating it to 3 channels. */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/** torchvision's ImageNet statistics. */
export const IMAGENET_NORM: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** timm's IMAGENET_INCEPTION_MEAN/STD, the TensorFlow ports' [-1, 1] range (Xception, Inception-ResNet-v2). */
export const INCEPTION_NORM: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** What a checkpoint records to rebuild a backbone; families add their own fields. */
export interface BackboneConfig {
  numClasses: number;
  /** Side of the square input the data pipeline resizes to (the network itself accepts any size it can pool). */
  inputSize: number;
}

/**
 * A classifier as its source defines it: features(x), the last feature maps (the output of the module at
 * `camLayer`, except where the source applies a functional ReLU after it: DenseNet), then head(features), the
 * pooling and classifier. State dict names and order are the source's; activation modules the source registers
 * are registered and run too, so every module path of the source can be captured.
 */
export abstract class Backbone<C extends BackboneConfig = BackboneConfig> extends Module implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  /** PyTorch module path of the layer CAM reads by default (what features() returns). */
  abstract readonly camLayer: string;

  protected constructor(
    readonly config: C,
    norm: Normalization,
  ) {
    super();
    if (!Number.isInteger(config.numClasses) || config.numClasses < 1) {
      throw new RangeError(`${new.target.name}: numClasses must be a positive integer, got ${config.numClasses}`);
    }
    this.numClasses = config.numClasses;
    this.input = { channels: 3, height: config.inputSize, width: config.inputSize, mean: norm.mean, std: norm.std };
  }

  abstract features(x: Tensor): Tensor;

  /** Logits from features(x). */
  abstract head(features: Tensor): Tensor;

  forward(x: Tensor): Tensor {
    return this.head(this.features(x));
  }
}

/** A Dropout layer with its own mask seed drawn from the build's rng (layers of one model get different masks). */
export function dropoutLayer(ctx: ModuleContext, p: number): Dropout {
  return new Dropout(p, { seed: ctx.rng.nextInt(2 ** 32) });
}

export interface BasicConv2dOptions {
  stride?: Pair;
  padding?: Pair;
  /** Batch norm eps: 1e-3 in the Inception family (the TensorFlow ports), PyTorch's 1e-5 elsewhere. */
  eps: number;
  /**
   * Register a ReLU child "relu" (timm's BasicConv2d has one; torchvision's applies it functionally). Either way the
   * batch norm and the ReLU run as one op (BatchNorm2d.forwardRelu).
   */
  reluModule?: boolean;
}

/** conv (no bias) -> batch norm -> ReLU, with children "conv" and "bn" (torchvision's and timm's BasicConv2d). */
export class BasicConv2d extends Module implements Layer {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(ctx: ModuleContext, inChannels: number, outChannels: number, kernel: Pair, options: BasicConv2dOptions) {
    super();
    const { stride, padding, eps } = options;
    this.conv = this.registerModule('conv', new Conv2d(ctx, inChannels, outChannels, kernel, { stride, padding, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(ctx, outChannels, { eps }));
    if (options.reluModule) this.registerModule('relu', new ReLU());
  }

  forward(x: Tensor): Tensor {
    return tidy(() => convBatchNorm(this.conv, this.bn, x, true));
  }
}

/**
 * torchvision's transform_input (GoogLeNet, Inception-v3): the ported TensorFlow weights expect (g - 0.5) / 0.5
 * while the pipeline normalises with ImageNet's statistics, so channel c becomes x * (std_c / 0.5) +
 * (mean_c - 0.5) / 0.5, as torchvision computes it. Run inside forward (not folded into the InputSpec) so that
 * forward(x) equals torchvision's for any x: a fixed per-channel affine, done as a 1x1 depthwise conv whose constant
 * weights are neither parameters nor state-dict entries; gradients reach x only.
 */
export class TransformInput {
  private readonly w: Tensor;
  private readonly b: Tensor;

  constructor(gpu: Gpu) {
    const { mean, std } = IMAGENET_NORM;
    this.w = createBuffer(gpu, Float32Array.from(std, (s) => s / 0.5), [3, 1, 1, 1], 'TransformInput.w');
    this.b = createBuffer(gpu, Float32Array.from(mean, (m) => (m - 0.5) / 0.5), [3], 'TransformInput.b');
  }

  apply(x: Tensor): Tensor {
    return conv2d(x, this.w, this.b, { groups: 3 });
  }

  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}
