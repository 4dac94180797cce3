/** Random damage to valid files, for the tests that every reader refuses bad input with a WeightFileError only. */
import { WeightFileError } from '../../src/io/weight_file_error.js';

/** mulberry32: a seeded generator, so a failing mutation can be replayed. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One to four flips, overwrites, insertions, deletions or truncations, mostly inside the first `hot` bytes. */
export function mutate(original: Uint8Array, next: () => number, hot: number): Uint8Array {
  let bytes = Uint8Array.from(original); // a copy even for a Node Buffer, whose slice() is a view
  const position = () => Math.floor(next() * (next() < 0.8 ? Math.min(hot, bytes.length) : bytes.length));
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits && bytes.length > 0; e++) {
    const kind = Math.floor(next() * 5);
    const at = position();
    if (kind === 0) bytes[at] ^= 1 << Math.floor(next() * 8);
    else if (kind === 1) bytes[at] = Math.floor(next() * 256);
    else if (kind === 2) bytes = Uint8Array.from([...bytes.subarray(0, at), Math.floor(next() * 256), ...bytes.subarray(at)]);
    else if (kind === 3) bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
    else bytes = bytes.slice(0, at);
  }
  return bytes;
}

/** Runs `parse`; true if it parsed, false if it threw a WeightFileError; any other exception fails the test. */
export function parsesOrRefuses(parse: () => unknown, label: string): boolean {
  try {
    parse();
    return true;
  } catch (e) {
    if (e instanceof WeightFileError) return false;
    throw new Error(`${label}: threw ${String(e)} instead of a WeightFileError`, { cause: e });
  }
}
