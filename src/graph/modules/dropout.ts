/**
 * Dropout: zeroes each element with probability p while training and scales the rest by 1/(1-p); the identity in
 * eval. Each training forward draws its mask from deriveSeed(module seed, step, call within the step). The trainer
 * sets the step to the global optimizer step (setDropoutStep) and the module seed comes from the build's rng, so a
 * run resumed from a checkpoint (same run seed, saved step count) draws the masks of the uninterrupted run. Left
 * unset, the step stays 0 and every call counts as a new call: each forward still draws a fresh mask.
 */
import { deriveSeed } from '../../data/prng.js';
import { dropout } from '../ops/dropout.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Dropout extends Module {
  private step = 0;
  private callsThisStep = 0;

  constructor(
    readonly p = 0.5,
    readonly options: { seed?: number } = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  /** The masks of the next forwards are those of training step `step` (an integer in [0, 2^32)). */
  setStep(step: number): void {
    if (!Number.isInteger(step) || step < 0 || step >= 2 ** 32) {
      throw new RangeError(`Dropout: step must be an integer in [0, 2^32), got ${step}`);
    }
    this.step = step;
    this.callsThisStep = 0;
  }

  forward(x: Tensor): Tensor {
    const seed = this.training ? deriveSeed(this.options.seed ?? 0, this.step, this.callsThisStep++) : 0;
    return dropout(x, { p: this.p, training: this.training, seed });
  }
}

/** Sets the step of every Dropout in the tree under `root` (the trainer calls it before each step's forward). */
export function setDropoutStep(root: Module, step: number): void {
  if (root instanceof Dropout) root.setStep(step);
  for (const child of root.namedChildren().values()) setDropoutStep(child, step);
}
