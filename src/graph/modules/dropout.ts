/**
 * Dropout: zeroes each element with probability p while training and scales the rest by 1/(1-p); the identity in
 * eval. Each training forward draws its mask from its own seed, derived from the module's seed and a call counter,
 * so a run is reproducible from its seed.
 */
import { deriveSeed } from '../../data/prng.js';
import { dropout } from '../ops/dropout.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Dropout extends Module {
  private calls = 0;

  constructor(
    readonly p = 0.5,
    readonly options: { seed?: number } = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    const seed = this.training ? deriveSeed(this.options.seed ?? 0, this.calls++) : 0;
    return dropout(x, { p: this.p, training: this.training, seed });
  }
}
