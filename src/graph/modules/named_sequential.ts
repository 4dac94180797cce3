/**
 * NamedSequential: layers under chosen names applied in order, as torch.nn.Sequential(OrderedDict(...)) (DenseNet's
 * "features.conv0", "features.denseblock1", ...). Sequential numbers its children; this one keeps the names.
 */
import type { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';
import { forwardInOrder } from './sequential.js';

export class NamedSequential extends Module implements Layer {
  private readonly layers: Layer[] = [];

  constructor(layers: Iterable<readonly [string, Layer]> = []) {
    super();
    for (const [name, layer] of layers) this.append(name, layer);
  }

  /** Adds a layer at the end (torch's add_module on a Sequential). */
  append<L extends Layer>(name: string, layer: L): L {
    this.layers.push(this.registerModule(name, layer));
    return layer;
  }

  forward(x: Tensor): Tensor {
    return forwardInOrder(this.layers, x);
  }
}
