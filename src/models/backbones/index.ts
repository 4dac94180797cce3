/**
 * Registry entries of the paper's 12 ImageNet backbones (Majeed et al. 2020), with the parameter names of the file
 * a user has: torchvision 0.14's for all but xception and inception_resnet_v2, whose names are timm's. registry.ts
 * imports BACKBONES (this file imports only types from it, so the import graph stays acyclic).
 */
import type { ModuleContext } from '../../graph/modules/module.js';
import type { WeightMap } from '../../io/weight_tensor.js';
import type { Classifier } from '../classifier.js';
import type { ModelEntry, ModelOptions } from '../registry.js';
import { AlexNet } from './alexnet.js';
import type { Backbone, BackboneConfig } from './common.js';
import { DenseNet, DENSENET201, renameLegacyDenseNetKeys, type DenseNetConfig } from './densenet.js';
import { GoogLeNet, type InceptionNetConfig } from './googlenet.js';
import { InceptionResNetV2 } from './inception_resnet_v2.js';
import { InceptionV3 } from './inception_v3.js';
import { ResNet } from './resnet.js';
import { SqueezeNet } from './squeezenet.js';
import { Vgg } from './vgg.js';
import { Xception } from './xception.js';

/** ImageNet's classes: the default, so the file a user has loads as it is. */
const IMAGENET_CLASSES = 1000;

interface BackboneSpec<C extends BackboneConfig> {
  name: string;
  description: string;
  /** The defaults of everything but numClasses. */
  defaults: Omit<C, 'numClasses'>;
  create(ctx: ModuleContext, config: C): Backbone<C>;
  headPrefixes: string[];
  renameKeys?(map: WeightMap, model: Classifier): WeightMap;
}

function backbone<C extends BackboneConfig>(spec: BackboneSpec<C>): ModelEntry {
  const { name, description, defaults, create, headPrefixes, renameKeys } = spec;
  return {
    name,
    description,
    headPrefixes,
    ...(renameKeys ? { renameKeys } : {}),
    build(ctx, options, recorded) {
      const config: Record<string, unknown> = { numClasses: IMAGENET_CLASSES, ...defaults, ...recorded };
      for (const [key, value] of Object.entries(options) as [keyof ModelOptions, unknown][]) {
        if (value === undefined) continue;
        if (!(key in config)) throw new RangeError(`${name}: no option "${key}" (it has ${Object.keys(config).join(', ')})`);
        config[key] = value;
      }
      return create(ctx, config as unknown as C);
    },
    configOf(model) {
      return Object.fromEntries(Object.entries((model as Backbone<C>).config));
    },
  };
}

/** Drops the auxiliary heads' keys (present in torchvision's ImageNet files) when the model has no aux heads. */
function dropAux(prefixes: string[]): (map: WeightMap, model: Classifier) => WeightMap {
  return (map, model) => {
    if ((model as Backbone<InceptionNetConfig>).config.aux) return map;
    return new Map([...map].filter(([key]) => !prefixes.some((p) => key.startsWith(p))));
  };
}

const TORCHVISION_SIZE = { inputSize: 224 };
const INCEPTION_SIZE = { inputSize: 299 };
const INCEPTION_OPTIONS = { aux: false, transformInput: true };

export const BACKBONES: readonly ModelEntry[] = [
  backbone({
    name: 'alexnet',
    description: 'AlexNet (torchvision), 224 px',
    defaults: TORCHVISION_SIZE,
    create: (ctx, c) => new AlexNet(ctx, c),
    headPrefixes: ['classifier.6.'],
  }),
  ...(['vgg16', 'vgg19'] as const).map((variant) =>
    backbone({
      name: variant,
      description: `${variant.toUpperCase()} without batch norm (torchvision), 224 px`,
      defaults: TORCHVISION_SIZE,
      create: (ctx, c) => new Vgg(ctx, variant, c),
      headPrefixes: ['classifier.6.'],
    })),
  ...(['resnet18', 'resnet50', 'resnet101'] as const).map((variant) =>
    backbone({
      name: variant,
      description: `ResNet-${variant.slice(6)} (torchvision), 224 px`,
      defaults: TORCHVISION_SIZE,
      create: (ctx, c) => new ResNet(ctx, variant, c),
      headPrefixes: ['fc.'],
    })),
  backbone<InceptionNetConfig>({
    name: 'googlenet',
    description: 'GoogLeNet / Inception v1 (torchvision; transform_input on, aux heads off), 224 px',
    defaults: { ...TORCHVISION_SIZE, ...INCEPTION_OPTIONS },
    create: (ctx, c) => new GoogLeNet(ctx, c),
    headPrefixes: ['fc.'],
    renameKeys: dropAux(['aux1.', 'aux2.']),
  }),
  backbone<InceptionNetConfig>({
    name: 'inception_v3',
    description: 'Inception-v3 (torchvision; transform_input on, AuxLogits off), 299 px',
    defaults: { ...INCEPTION_SIZE, ...INCEPTION_OPTIONS },
    create: (ctx, c) => new InceptionV3(ctx, c),
    headPrefixes: ['fc.'],
    renameKeys: dropAux(['AuxLogits.']),
  }),
  ...(['1_0', '1_1'] as const).map((version) =>
    backbone({
      name: `squeezenet${version}`,
      description: `SqueezeNet ${version.replace('_', '.')} (torchvision), 224 px`,
      defaults: TORCHVISION_SIZE,
      create: (ctx, c) => new SqueezeNet(ctx, version, c),
      headPrefixes: ['classifier.1.'],
    })),
  backbone<DenseNetConfig>({
    name: 'densenet201',
    description: 'DenseNet-201 (torchvision; old "norm.1" key names accepted), 224 px',
    defaults: { ...TORCHVISION_SIZE, ...DENSENET201 },
    create: (ctx, c) => new DenseNet(ctx, c),
    headPrefixes: ['classifier.'],
    renameKeys: (map) => renameLegacyDenseNetKeys(map),
  }),
  backbone({
    name: 'xception',
    description: "Xception (timm's legacy_xception names), 299 px",
    defaults: INCEPTION_SIZE,
    create: (ctx, c) => new Xception(ctx, c),
    headPrefixes: ['fc.'],
  }),
  backbone({
    name: 'inception_resnet_v2',
    description: "Inception-ResNet-v2 (timm's names), 299 px",
    defaults: INCEPTION_SIZE,
    create: (ctx, c) => new InceptionResNetV2(ctx, c),
    headPrefixes: ['classif.'],
  }),
];
