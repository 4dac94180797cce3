/**
 * Initial parameter values, drawn on the host from a seeded Rng so that a seed names a model. Fans follow PyTorch's
 * torch.nn.init._calculate_fan_in_and_fan_out: for a weight [out, in/groups, kh, kw] (or [out, in]),
 * fan_in = size(1) * kh * kw and fan_out = size(0) * kh * kw.
 */
import type { Rng } from '../data/prng.js';
import { numel, type Shape } from './tensor.js';

/** 'glorot': Glorot/Xavier-uniform weights and zero biases (Keras' default); 'pytorch': PyTorch's default init. */
export type InitScheme = 'glorot' | 'pytorch';

export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** Values uniform in [-bound, bound), row-major for `shape`. */
export function uniform(shape: Shape, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

/** Fans of a weight of this shape, as PyTorch computes them (the receptive field is the product of dims 2...). */
export function fans(shape: Shape): Fans {
  if (shape.length < 2) throw new RangeError(`fans: a weight needs at least 2 dims, got [${shape.join(', ')}]`);
  const receptive = numel(shape.slice(2));
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** Fans of a Conv2d weight [out, in/groups, kh, kw]: fan_in = in/groups*kh*kw, fan_out = out*kh*kw (PyTorch's). */
export function convFans(inChannels: number, outChannels: number, kernel: readonly [number, number], groups = 1): Fans {
  if (inChannels % groups !== 0) throw new RangeError(`convFans: ${inChannels} input channels in ${groups} groups`);
  return fans([outChannels, inChannels / groups, kernel[0], kernel[1]]);
}

/** Fans of a Linear weight [out, in]. */
export function linearFans(inFeatures: number, outFeatures: number): Fans {
  return fans([outFeatures, inFeatures]);
}

/** Glorot/Xavier uniform: bound sqrt(6 / (fanIn + fanOut)), so the variance is 2 / (fanIn + fanOut). */
export function glorotUniform(shape: Shape, fanIn: number, fanOut: number, rng: Rng): Float32Array {
  return uniform(shape, Math.sqrt(6 / (fanIn + fanOut)), rng);
}

/**
 * He/Kaiming uniform in fan_in mode for a leaky ReLU of negative slope `a`, as torch.nn.init.kaiming_uniform_:
 * bound = sqrt(3) * sqrt(2 / (1 + a^2)) / sqrt(fanIn). PyTorch's default Conv2d/Linear weights use a = sqrt(5),
 * which makes the bound 1 / sqrt(fanIn).
 */
export function kaimingUniform(shape: Shape, fanIn: number, rng: Rng, a = 0): Float32Array {
  const gain = Math.sqrt(2 / (1 + a * a));
  return uniform(shape, (Math.sqrt(3) * gain) / Math.sqrt(fanIn), rng);
}

/**
 * Weight (and bias) of a layer whose weight has `shape` ([out, in/groups, kh, kw] or [out, in]), weight drawn
 * first. 'pytorch' matches nn.Conv2d/nn.Linear.reset_parameters: kaiming_uniform_(a=sqrt(5)) weights and biases
 * uniform in +-1/sqrt(fan_in); 'glorot' draws Glorot-uniform weights and zero biases.
 */
export function layerInit(
  scheme: InitScheme,
  shape: Shape,
  withBias: boolean,
  rng: Rng,
): { weight: Float32Array; bias: Float32Array | null } {
  const { fanIn, fanOut } = fans(shape);
  const out = shape[0]!;
  if (scheme === 'glorot') {
    return { weight: glorotUniform(shape, fanIn, fanOut, rng), bias: withBias ? new Float32Array(out) : null };
  }
  const weight = kaimingUniform(shape, fanIn, rng, Math.sqrt(5));
  const bias = withBias ? uniform([out], fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, rng) : null;
  return { weight, bias };
}
