import { describe, expect, it } from 'vitest';
import { ImageCache } from '../../src/data/image_cache.js';

/** A plane as loadImagePlane gives an 8-bit image at its own size: each value v / 255 for a byte v. */
function bytePlane(length: number, offset: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => ((i * 37 + offset) % 256) / 255);
}

describe('ImageCache', () => {
  it('keeps planes of byte values as bytes and gives back the very same floats', () => {
    const cache = new ImageCache();
    const pixels = bytePlane(300, 5); // every byte 0..255 appears
    expect(cache.add('a.png', 10, 30, pixels)).toBe(true);
    expect(cache.usedBytes).toBe(300);
    expect(cache.get('a.png', 10, 30)).toEqual(pixels);
    const target = new Float32Array(310).fill(-1);
    expect(cache.readInto('a.png', 10, 30, target, 7)).toBe(true);
    expect(target.subarray(7, 307)).toEqual(pixels);
    expect([...target.subarray(0, 7), ...target.subarray(307)]).toEqual(new Array(10).fill(-1));
  });

  it('keeps a plane with any value off the byte grid as floats', () => {
    const cache = new ImageCache();
    for (const odd of [0.5 / 255, -1 / 255, 256 / 255, Math.fround(0.1), Number.NaN]) {
      const pixels = bytePlane(16, 0);
      pixels[9] = odd;
      const file = `${odd}.png`;
      cache.add(file, 4, 4, pixels);
      expect(cache.get(file, 4, 4)).toEqual(pixels);
    }
    expect(cache.usedBytes).toBe(5 * 16 * 4);
  });

  it('counts the bytes kept against the budget and misses what it did not keep', () => {
    const cache = new ImageCache(2 * 16 + 16 * 4);
    const floats = bytePlane(16, 1).map((v) => v + 1e-3);
    expect(cache.add('a', 4, 4, bytePlane(16, 1))).toBe(true);
    expect(cache.add('b', 4, 4, floats)).toBe(true);
    expect(cache.add('c', 4, 4, floats)).toBe(false); // 64 more bytes do not fit
    expect(cache.add('d', 4, 4, bytePlane(16, 2))).toBe(true); // 16 do
    expect(cache.add('e', 4, 4, bytePlane(16, 3))).toBe(false);
    expect([cache.size, cache.usedBytes]).toEqual([3, 96]);
    const target = new Float32Array(16).fill(3);
    expect(cache.readInto('c', 4, 4, target, 0)).toBe(false);
    expect(target).toEqual(new Float32Array(16).fill(3));
    expect(cache.get('a', 4, 5)).toBeUndefined(); // keyed by size too
  });
});
