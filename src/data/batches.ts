// Turning lists of image files into model input: the epoch's seeded order, and batches decoded, resized and
// scaled into one NCHW Float32Array. Decoding dominates training's CPU time, so decoded images are cached and
// decoded by worker threads where they can start.
import { sharedDecodePool, type DecodePool } from './decode_pool.js';
import type { ImageCache } from './image_cache.js';
import { loadImagePlane } from './image_plane.js';
import { createRng, deriveSeed, shuffleInPlace } from './prng.js';

/** Model input size in pixels; a number means a square. */
export type InputSize = number | { height: number; width: number };

/**
 * Reads, decodes, converts to gray, resizes (bilinear, PyTorch semantics) and scales x / 255 the images of
 * items into one Float32Array of shape [N, 1, H, W] (NCHW, row-major), in the order of items, from the cache
 * where it has them. The work is done by `pool`'s workers (the process's shared pool unless given; null: on this
 * thread). Where several images fail, the error is the first one's in item order.
 */
export async function loadBatch(
  items: readonly { file: string }[],
  size: InputSize,
  cache?: ImageCache,
  pool: DecodePool | null = sharedDecodePool(),
): Promise<Float32Array> {
  const { height, width } = typeof size === 'number' ? { height: size, width: size } : size;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new RangeError(`input size must be positive integers, got ${height}x${width}`);
  }
  const plane = height * width;
  if (pool) {
    const jobs = items.map(({ file }) => ({ file, kept: cache?.kept(file, height, width) }));
    const loaded = await pool.loadPlanes(jobs, height, width, cache !== undefined);
    loaded.kept.forEach((kept, i) => kept && cache!.addKept(items[i]!.file, height, width, kept));
    return loaded.pixels;
  }
  const batch = new Float32Array(items.length * plane);
  const toLoad = items.flatMap((item, i) => (cache?.readInto(item.file, height, width, batch, i * plane) ? [] : [i]));
  // Reads overlap each other; decoding then runs one image at a time (it is CPU-bound anyway).
  const loaded = await Promise.allSettled(toLoad.map((i) => loadImagePlane(items[i]!.file, height, width)));
  toLoad.forEach((i, k) => {
    const result = loaded[k]!;
    if (result.status === 'rejected') throw result.reason;
    batch.set(result.value, i * plane);
    cache?.add(items[i]!.file, height, width, result.value);
  });
  return batch;
}

/**
 * The order in which an epoch visits count examples: a permutation of 0..count-1 drawn from (seed, epoch)
 * alone, so the same seed gives the same order and a run resumed at epoch k needs no replay of earlier epochs.
 */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return shuffleInPlace(order, createRng(deriveSeed(seed, epoch)));
}

/** Consecutive slices of batchSize indices; the last one is shorter unless dropLast drops it. */
export function batchIndices(order: Uint32Array, batchSize: number, dropLast = false): Uint32Array[] {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const batches: Uint32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const slice = order.subarray(start, Math.min(start + batchSize, order.length));
    if (slice.length < batchSize && dropLast) break;
    batches.push(slice);
  }
  return batches;
}
