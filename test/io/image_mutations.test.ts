/**
 * Randomly damaged PNG and JPEG files either decode or are refused with an ImageError that names the file; no other
 * exception (a RangeError from a typed array, a zlib error, a jpeg-js string throw) ever escapes decodeImage.
 * The weight readers get the same treatment in safetensors.test.ts and pth.test.ts, with the same mutations; the
 * deliberate refusals (sizes over MAX_IMAGE_PIXELS without allocating, bit depths...) are in test/data/image.test.ts.
 */
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage, ImageError } from '../../src/io/image.js';
import { encodeGrayPng, encodeRgbPng } from '../../src/io/png_write.js';
import { mutate, seededRandom } from './mutations.js';

const SOURCE = 'scan.img';
const MUTATIONS = 300;

function gradient(width: number, height: number, channels: number): number[] {
  return Array.from({ length: width * height * channels }, (_, i) => (i * 37 + (i >> 5) * 11) % 256);
}

/** true if it decoded, false if refused with an ImageError naming the file; anything else fails the test. */
function decodesOrRefuses(bytes: Uint8Array, label: string): boolean {
  try {
    const image = decodeImage(bytes, SOURCE);
    expect(image.data.length, label).toBe(image.width * image.height);
    return true;
  } catch (e) {
    if (e instanceof ImageError && e.message.startsWith(`${SOURCE}: `)) return false;
    throw new Error(`${label}: threw ${String(e)} instead of an ImageError naming the file`, { cause: e });
  }
}

const valid: Record<string, Uint8Array> = {
  'gray PNG': encodeGrayPng({ width: 24, height: 20, data: gradient(24, 20, 1) }),
  'RGB PNG': encodeRgbPng({ width: 20, height: 16, data: gradient(20, 16, 3) }),
  JPEG: jpeg.encode({ width: 24, height: 16, data: Uint8Array.from(gradient(24, 16, 4)) }, 85).data,
};

describe('mutated images', () => {
  it.each(Object.keys(valid))(`%s: ${MUTATIONS} mutations each decode or throw an ImageError naming the file`, (name) => {
    const original = valid[name]!;
    expect(decodesOrRefuses(original, `${name} unmutated`)).toBe(true);
    const next = seededRandom(name.length * 7919);
    let refused = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      // Most edits land in the headers and tables (the first 200 bytes), where a decoder trusts what it reads.
      if (!decodesOrRefuses(mutate(original, next, 200), `${name} mutation ${i}`)) refused++;
    }
    // The mutations must actually exercise the refusals, not only harmless pixel changes.
    expect(refused).toBeGreaterThan(MUTATIONS / 4);
  });
});
