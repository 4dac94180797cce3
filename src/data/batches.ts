// Turning lists of image files into model input: the epoch's seeded order, and batches decoded, resized and
// scaled into one NCHW Float32Array. Decoding dominates training's CPU time, so decoded images are cached.
import { readFile } from 'node:fs/promises';
import { decodeImage } from '../io/image.js';
import { DataError } from './data_error.js';
import { createRng, deriveSeed, shuffleInPlace } from './prng.js';
import { resizeBilinear } from './resize.js';

/** Model input size in pixels; a number means a square. */
export type InputSize = number | { height: number; width: number };

export const DEFAULT_CACHE_BYTES = 1024 ** 3;

/**
 * Decoded, resized and scaled images by file and size. It fills until its byte budget is spent and then stops
 * adding: with a fresh random order each epoch, evicting would throw away as many hits as it makes, while a
 * full cache keeps serving the same fixed share. A set smaller than the budget is decoded once.
 */
export class ImageCache {
  private readonly images = new Map<string, Float32Array>();
  private bytes = 0;

  constructor(readonly budgetBytes: number = DEFAULT_CACHE_BYTES) {
    if (!(budgetBytes >= 0)) throw new RangeError(`cache budget must be >= 0 bytes, got ${budgetBytes}`);
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.images.size;
  }

  get(file: string, height: number, width: number): Float32Array | undefined {
    return this.images.get(cacheKey(file, height, width));
  }

  /** Keeps the pixels if they fit in what is left of the budget; returns whether they were kept. */
  add(file: string, height: number, width: number, pixels: Float32Array): boolean {
    if (this.bytes + pixels.byteLength > this.budgetBytes) return false;
    const key = cacheKey(file, height, width);
    if (this.images.has(key)) return true;
    this.images.set(key, pixels);
    this.bytes += pixels.byteLength;
    return true;
  }
}

function cacheKey(file: string, height: number, width: number): string {
  return `${height}x${width}:${file}`;
}

/**
 * Reads, decodes, converts to gray, resizes (bilinear, PyTorch semantics) and scales x / 255 the images of
 * items into one Float32Array of shape [N, 1, H, W] (NCHW, row-major), in the order of items.
 */
export async function loadBatch(
  items: readonly { file: string }[],
  size: InputSize,
  cache?: ImageCache,
): Promise<Float32Array> {
  const { height, width } = typeof size === 'number' ? { height: size, width: size } : size;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new RangeError(`input size must be positive integers, got ${height}x${width}`);
  }
  const plane = height * width;
  const planes = items.map((item) => cache?.get(item.file, height, width));
  const toDecode = planes.flatMap((pixels, i) => (pixels ? [] : [i]));
  // Reads overlap each other; decoding then runs one image at a time (it is CPU-bound anyway).
  const bytes = await Promise.all(toDecode.map((i) => readImageFile(items[i].file)));
  toDecode.forEach((i, k) => {
    const pixels = resizeBilinear(decodeImage(bytes[k], items[i].file), height, width).data;
    const scaled = new Float32Array(plane);
    for (let p = 0; p < plane; p++) scaled[p] = pixels[p] / 255;
    planes[i] = scaled;
    cache?.add(items[i].file, height, width, scaled);
  });
  const batch = new Float32Array(items.length * plane);
  planes.forEach((pixels, i) => batch.set(pixels!, i * plane));
  return batch;
}

async function readImageFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read image (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
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
