/**
 * Deterministic weights and inputs from a counter-based hash, bit-identical to test/reference/hash_weights.py
 * (see there for the recipe): element i of the k-th state-dict entry is
 * fmix32(seed ^ k*0x9E3779B1 ^ i*0x85EBCA77) mapped to u in [-1, 1), then by the entry's role (conv/linear weight
 * u*sqrt(6/fan_in), bias 0.1u, batch-norm weight 1+0.1u, running_mean 0.1u, running_var 0.5+0.5|u|,
 * num_batches_tracked 0), computed in float64 and rounded once to float32. Whole-model reference data then needs
 * no stored weights.
 */
import type { KeyShape, Module } from '../../src/graph/modules/module.js';
import { numelOf, type WeightMap } from '../../src/io/weight_tensor.js';

const GOLDEN = 0x9e3779b1;
const STEP = 0x85ebca77;

/** MurmurHash3's finaliser on a uint32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Element i of the stream whose base is seed ^ k*GOLDEN: uniform in [-1, 1), exactly a float32. */
function uniformAt(base: number, i: number): number {
  return (fmix32(base ^ Math.imul(i, STEP)) >>> 8) / 8388608 - 1;
}

function streamBase(seed: number, k: number): number {
  return (seed ^ Math.imul(k, GOLDEN)) >>> 0;
}

/** n values uniform in [-1, 1) of stream k under seed. */
export function hashUniform(seed: number, k: number, n: number): Float64Array {
  const base = streamBase(seed, k);
  return Float64Array.from({ length: n }, (_, i) => uniformAt(base, i));
}

/** Values of state-dict entry k; its name and shape decide its role, as in entry_values() of the Python twin. */
export function entryValues(name: string, shape: readonly number[], seed: number, k: number): Float32Array {
  const n = numelOf(shape);
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  const out = new Float32Array(n);
  if (leaf === 'num_batches_tracked') return out;
  const base = streamBase(seed, k);
  let map: (v: number) => number;
  if (leaf === 'running_mean' || leaf === 'bias') map = (v) => 0.1 * v;
  else if (leaf === 'running_var') map = (v) => 0.5 + 0.5 * Math.abs(v);
  else if (leaf === 'weight' && shape.length === 1) map = (v) => 1 + 0.1 * v;
  else if (shape.length >= 2) {
    const scale = Math.sqrt(6 / (shape[1]! * numelOf(shape.slice(2))));
    map = (v) => v * scale;
  } else throw new RangeError(`no hash role for ${name} [${shape.join(', ')}]`);
  for (let i = 0; i < n; i++) out[i] = map(uniformAt(base, i));
  return out;
}

/**
 * Names and shapes of a module's state dict in PyTorch's order (own parameters, own buffers, then each child's),
 * without reading anything back from the GPU.
 */
export function stateLayout(module: Module, prefix = ''): KeyShape[] {
  const own = (name: string): boolean => !name.includes('.');
  const out: KeyShape[] = [];
  for (const [name, t] of module.namedParameters()) if (own(name)) out.push({ name: prefix + name, shape: [...t.shape] });
  for (const [name, t] of module.namedBuffers()) {
    if (own(name)) out.push({ name: prefix + name, shape: typeof t === 'number' ? [] : [...t.shape] });
  }
  for (const [name, child] of module.namedChildren()) out.push(...stateLayout(child, `${prefix}${name}.`));
  return out;
}

/** A state dict for this layout filled from the hash (what hashed_state_dict() gives PyTorch's model). */
export function hashedStateDict(layout: readonly KeyShape[], seed: number): WeightMap {
  const map: WeightMap = new Map();
  layout.forEach(({ name, shape }, k) => map.set(name, { shape: [...shape], data: entryValues(name, shape, seed, k) }));
  return map;
}

/** An input batch: stream 0 of seed (hashed_input() in Python). */
export function hashedInput(seed: number, shape: readonly number[]): Float32Array {
  return Float32Array.from(hashUniform(seed, 0, numelOf(shape)));
}
