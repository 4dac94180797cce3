// Smooth random fields for organic texture (patchy ground glass, irregular consolidation borders).
import type { Rng } from './prng.js';

/** A smooth random function over [-1, 1]^2 with values in [-1, 1]. */
export type NoiseField = (u: number, v: number) => number;

/**
 * Value noise: random values on a lattice of `cells` x `cells` cells spanning [-1, 1]^2, blended with a
 * smoothstep so the field has no visible grid. Outside the square the border values extend.
 */
export function valueNoise(rng: Rng, cells: number): NoiseField {
  const n = cells + 1;
  const lattice = new Float32Array(n * n);
  for (let i = 0; i < lattice.length; i++) lattice[i] = 2 * rng.next() - 1;
  return (u, v) => {
    const gx = Math.min(cells, Math.max(0, ((u + 1) / 2) * cells));
    const gy = Math.min(cells, Math.max(0, ((v + 1) / 2) * cells));
    const ix = Math.min(cells - 1, Math.floor(gx));
    const iy = Math.min(cells - 1, Math.floor(gy));
    const fx = smooth(gx - ix);
    const fy = smooth(gy - iy);
    const row = iy * n + ix;
    const top = lattice[row] + fx * (lattice[row + 1] - lattice[row]);
    const bottom = lattice[row + n] + fx * (lattice[row + n + 1] - lattice[row + n]);
    return top + fy * (bottom - top);
  };
}

/** Two octaves of value noise (coarse + half-weight fine), still within [-1, 1]. */
export function fractalNoise(rng: Rng, cells: number): NoiseField {
  const coarse = valueNoise(rng, cells);
  const fine = valueNoise(rng, cells * 2);
  return (u, v) => (2 * coarse(u, v) + fine(u, v)) / 3;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** 0 below edge0, 1 above edge1, a smooth ramp between (edge0 > edge1 reverses it). */
export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}
