/** Sequential: layers applied in order, registered as children "0", "1", ... as in torch.nn.Sequential. */
import { disposeIntermediate } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';

export class Sequential extends Module {
  readonly layers: readonly Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((layer, i) => this.registerModule(String(i), layer));
  }

  forward(x: Tensor): Tensor {
    return forwardInOrder(this.layers, x);
  }
}

/**
 * Applies layers in order and frees each layer's output as soon as the next layer has read it (what backward
 * needs of it, the tape holds on its own handle), so a long chain holds one activation at a time. Never frees x
 * (the caller's), an output a layer passed through unchanged, or a tensor no scope owns (see disposeIntermediate).
 */
export function forwardInOrder(layers: Iterable<Layer>, x: Tensor): Tensor {
  let y = x;
  for (const layer of layers) {
    const next = layer.forward(y);
    if (y !== x && next !== y) disposeIntermediate(y);
    y = next;
  }
  return y;
}
