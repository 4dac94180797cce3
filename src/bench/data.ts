/**
 * Inputs and correctness checks shared by the benchmark cases: seeded host data, rotation sets of GPU buffers, and
 * the check a case runs before it is timed (sampled outputs against a float64 host reference).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRng } from '../data/prng.js';
import { fill } from '../kernels/fill.js';
import type { Gpu } from '../runtime/gpu.js';

const MIN_SETS = 2;
const MAX_SETS = 1024;

/**
 * The largest CPU cache of this host in bytes (Linux sysfs; 0 where unknown). Under a software driver (lavapipe)
 * the "GPU" is this CPU, and server CPUs have last-level caches of hundreds of MiB (480 MiB on the machine this was
 * written on), so inputs rotated through less than that would be measured from the cache.
 */
export function hostCacheBytes(): number {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  try {
    return Math.max(0, ...readdirSync(dir).filter((d) => d.startsWith('index')).map((d) => {
      const m = /^(\d+)([KMG]?)/.exec(readFileSync(`${dir}/${d}/size`, 'utf8').trim());
      return m ? Number(m[1]) * { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2] as '' | 'K' | 'M' | 'G'] : 0;
    }));
  } catch {
    return 0;
  }
}

/**
 * Inputs are rotated through sets until all sets together pass this many bytes: twice the host's largest cache,
 * at least 256 MiB (more than any GPU's L2), at most 1 GiB (memory).
 */
export const ROTATION_BYTES = Math.min(2 ** 30, Math.max(256 * 2 ** 20, 2 * hostCacheBytes()));

/** How many input (and output) sets to cycle through for `bytes` bytes of inputs and outputs per run. */
export function rotationSets(bytes: number): number {
  return Math.max(MIN_SETS, Math.min(MAX_SETS, Math.ceil(ROTATION_BYTES / Math.max(1, bytes))));
}

/** Uniform values in [lo, hi), seeded. */
export function hostData(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(length);
  const span = hi - lo;
  for (let i = 0; i < length; i++) out[i] = lo + span * rng.next();
  return out;
}

export function upload(gpu: Gpu, data: Float32Array, label: string): GPUBuffer {
  const buffer = gpu.alloc(Math.max(16, data.length * 4), label);
  gpu.upload(buffer, data);
  return buffer;
}

/**
 * `sets` buffers of `length` seeded values: the host copy of set 0 (what checks compare against) and the GPU buffers.
 * Sets after the first are the first one's values shifted by a set-dependent offset within the array (cheap to make,
 * and different data at every address).
 */
export function rotated(gpu: Gpu, length: number, seed: number, sets: number, label: string, lo = -1, hi = 1) {
  const host = hostData(length, seed, lo, hi);
  const buffers = [upload(gpu, host, `${label}[0]`)];
  const shifted = new Float32Array(length);
  for (let s = 1; s < sets; s++) {
    const by = Math.floor((s * length) / sets) + s;
    for (let i = 0; i < length; i++) shifted[i] = host[(i + by) % length]!;
    buffers.push(upload(gpu, shifted, `${label}[${s}]`));
  }
  return { host, buffers, at: (i: number) => buffers[i % sets]! };
}

/**
 * `sets` output buffers of `bytes` each, rotated like the inputs: an output reused by every run would stay in the
 * cache between runs (a write to cached lines costs far less than one that must first fetch them from memory).
 * Each is written once here: Dawn zero-fills a buffer at its first use, which must not land in a timed run.
 */
export function outputs(gpu: Gpu, bytes: number, sets: number, label: string) {
  const buffers = Array.from({ length: sets }, (_, s) => {
    const buffer = gpu.alloc(Math.max(16, bytes), `${label}[${s}]`);
    fill(gpu, buffer, Math.floor(buffer.size / 4), 0); // in element slices when over one binding
    return buffer;
  });
  return { buffers, at: (i: number) => buffers[i % sets]! };
}

/** `count` values made by `make(s)` (the peer's rotation sets). */
export function makeSets<T>(count: number, make: (s: number) => T): T[] {
  return Array.from({ length: count }, (_, s) => make(s));
}

/** The reference value at one output and the sum of the magnitudes of its terms (what rounding scales with). */
export interface Expected {
  value: number;
  magnitude: number;
  terms: number;
}

export const SAMPLES = 256;

/** Indices of `count` sampled outputs out of `length`, always including the first and the last. */
export function sampleIndices(length: number, count = SAMPLES, seed = 99): number[] {
  const rng = createRng(seed);
  const out = new Set<number>([0, length - 1]);
  while (out.size < Math.min(count, length)) out.add(Math.floor(rng.next() * length));
  return [...out];
}

/**
 * Worst error at the sampled outputs as a multiple of the tolerance of f32 rounding: |got - value| over
 * (1e-5 * sqrt(terms) * magnitude + 1e-6), so a value of 1 or less passes. A float32 sum of n terms errs by about
 * 6e-8 * sqrt(n) of their magnitudes on random data; the margin above it allows for other summation orders.
 */
export function sampledError(got: Float32Array, indices: readonly number[], expect: (i: number) => Expected): number {
  let worst = 0;
  for (const i of indices) {
    const e = expect(i);
    const tolerance = 1e-5 * Math.sqrt(Math.max(1, e.terms)) * e.magnitude + 1e-6;
    const error = Math.abs(got[i]! - e.value) / tolerance;
    worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
  }
  return worst;
}

/** sampledError for outputs that are exact copies or selections (relu, concat, max-pool forward). */
export function exactError(got: Float32Array, indices: readonly number[], value: (i: number) => number): number {
  return sampledError(got, indices, (i) => ({ value: value(i), magnitude: Math.abs(value(i)), terms: 1 }));
}

/** NCHW strides of a 4-D shape. */
export function strides4(shape: readonly [number, number, number, number]): [number, number, number, number] {
  const [, c, h, w] = shape;
  return [c * h * w, h * w, w, 1];
}

/** The 4-D coordinates of a flat NCHW index. */
export function coords4(i: number, shape: readonly [number, number, number, number]): [number, number, number, number] {
  const [, c, h, w] = shape;
  const x = i % w;
  const y = Math.floor(i / w) % h;
  const ch = Math.floor(i / (w * h)) % c;
  const n = Math.floor(i / (w * h * c));
  return [n, ch, y, x];
}
