/** Sequential: layers applied in order, registered as children "0", "1", ... as in torch.nn.Sequential. */
import type { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';

export class Sequential extends Module {
  readonly layers: readonly Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((layer, i) => this.registerModule(String(i), layer));
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((y, layer) => layer.forward(y), x);
  }
}
