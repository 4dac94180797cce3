// Decoded image planes kept between epochs, so that training decodes each file once where memory allows.
import { totalmem } from 'node:os';
import { compactPlane, writePlane, type KeptPlane } from './image_plane.js';

/**
 * A quarter of the machine's memory, at least 1 GiB: a data set that fits is decoded once (a 1,024 x 1,024 PNG took
 * about 30 ms on the development machine, a JPEG about 110; a fast GPU's step of 15 images, 2), and the budget is
 * only a ceiling, never reserved.
 */
export const DEFAULT_CACHE_BYTES = Math.max(1024 ** 3, Math.floor(totalmem() / 4));

/**
 * Decoded, resized and scaled images by file and size. It fills until its byte budget is spent and then stops
 * adding: with a fresh random order each epoch, evicting would throw away as many hits as it makes, while a
 * full cache keeps serving the same fixed share. A set smaller than the budget is decoded once. Planes are kept
 * compact (KeptPlane: bytes where the values allow, a quarter of the floats) and give back the same floats.
 */
export class ImageCache {
  private readonly images = new Map<string, KeptPlane>();
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

  /** The plane's floats, or undefined when it is not cached. */
  get(file: string, height: number, width: number): Float32Array | undefined {
    const kept = this.kept(file, height, width);
    if (kept === undefined || kept instanceof Float32Array) return kept;
    const pixels = new Float32Array(kept.length);
    writePlane(kept, pixels, 0);
    return pixels;
  }

  /** The plane as kept (see KeptPlane), or undefined when it is not cached. */
  kept(file: string, height: number, width: number): KeptPlane | undefined {
    return this.images.get(cacheKey(file, height, width));
  }

  /** Writes the cached plane into target from offset on; returns false (writing nothing) when it is not cached. */
  readInto(file: string, height: number, width: number, target: Float32Array, offset: number): boolean {
    const kept = this.kept(file, height, width);
    if (kept === undefined) return false;
    writePlane(kept, target, offset);
    return true;
  }

  /** Keeps the pixels (compacted) if they fit in what is left of the budget; returns whether they were kept. */
  add(file: string, height: number, width: number, pixels: Float32Array): boolean {
    return this.has(file, height, width) || this.addKept(file, height, width, compactPlane(pixels));
  }

  /** As add, for a plane already compacted by compactPlane (a decode worker's). */
  addKept(file: string, height: number, width: number, kept: KeptPlane): boolean {
    const key = cacheKey(file, height, width);
    if (this.images.has(key)) return true;
    if (this.bytes + kept.byteLength > this.budgetBytes) return false;
    this.images.set(key, kept);
    this.bytes += kept.byteLength;
    return true;
  }

  private has(file: string, height: number, width: number): boolean {
    return this.images.has(cacheKey(file, height, width));
  }
}

function cacheKey(file: string, height: number, width: number): string {
  return `${height}x${width}:${file}`;
}
