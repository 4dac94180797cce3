// One image file as model input: read, decoded, converted to gray, resized and scaled into [0, 1]; and the compact
// form the image cache keeps it in. The data loader runs these on the main thread or in the decode pool's workers;
// both give the same floats.
import { readFile } from 'node:fs/promises';
import { decodeImage } from '../io/image.js';
import { DataError } from './data_error.js';
import { resizeBilinear } from './resize.js';

/**
 * A plane as kept between epochs: bytes v standing for v / 255 where every value is one (an 8-bit image already
 * at the size asked for, as the built-in synthetic data), a quarter of the floats; else the floats.
 */
export type KeptPlane = Uint8Array | Float32Array;

/** The float loadImagePlane gives a pixel of integral value v (v / 255, rounded to f32 once). */
const BYTE_VALUES = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** The gray plane of `file` at height x width (bilinear, PyTorch semantics), each value x / 255, row-major. */
export async function loadImagePlane(file: string, height: number, width: number): Promise<Float32Array> {
  const bytes = await readImageFile(file);
  const pixels = resizeBilinear(decodeImage(bytes, file), height, width).data;
  const scaled = new Float32Array(height * width);
  for (let p = 0; p < scaled.length; p++) scaled[p] = pixels[p]! / 255;
  return scaled;
}

/**
 * The plane as kept: its bytes where every value is BYTE_VALUES[v] for a byte v, else its floats. With `shared`
 * the result lives in a SharedArrayBuffer, so the cache can hand it to a worker without a copy.
 */
export function compactPlane(pixels: Float32Array, shared = false): KeptPlane {
  const bytes = new Uint8Array(shared ? new SharedArrayBuffer(pixels.length) : new ArrayBuffer(pixels.length));
  for (let p = 0; p < pixels.length; p++) {
    const v = Math.round(pixels[p]! * 255);
    if (!(v >= 0 && v <= 255) || BYTE_VALUES[v] !== pixels[p]) {
      if (!shared) return pixels;
      const floats = new Float32Array(new SharedArrayBuffer(pixels.byteLength));
      floats.set(pixels);
      return floats;
    }
    bytes[p] = v;
  }
  return bytes;
}

/** Writes the floats a kept plane stands for into target from offset on. */
export function writePlane(kept: KeptPlane, target: Float32Array, offset: number): void {
  if (kept instanceof Float32Array) {
    target.set(kept, offset);
  } else {
    for (let p = 0; p < kept.length; p++) target[offset + p] = BYTE_VALUES[kept[p]!]!;
  }
}

async function readImageFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read image (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}
