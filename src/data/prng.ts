// The project's seeded random numbers: small, fast and identical on every platform, so a seed names a result.

/** A seeded source of uniform random numbers. */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n); n must be a positive integer up to 2^32. */
  nextInt(n: number): number;
}

/** Mulberry32 (Tommy Ettinger): one 32-bit state word, passes PractRand to 2^32 outputs; seed taken modulo 2^32. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    nextInt(n: number): number {
      if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`nextInt needs 1 <= n <= 2^32, got ${n}`);
      return Math.floor(next() * n);
    },
  };
}

/**
 * A seed for an independent stream, derived from a base seed and stream numbers (an epoch, an image index):
 * results then depend on which item is drawn, not on how many draws came before it.
 */
export function deriveSeed(seed: number, ...streams: number[]): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  for (const s of streams) h = mix32((h + Math.imul(s >>> 0, 0x85ebca6b) + 0x9e3779b9) >>> 0);
  return h;
}

/** Fisher-Yates shuffle in place; returns the array. */
export function shuffleInPlace<A extends { length: number; [index: number]: unknown }>(items: A, rng: Rng): A {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** A sample from the standard normal distribution (Box-Muller, one value per call). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng.next(); // in (0, 1], so the log is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

// MurmurHash3's finaliser: every input bit flips about half of the output bits.
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
