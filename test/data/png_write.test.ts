import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/image.js';
import { encodeGrayPng, encodeRgbPng } from '../../src/io/png_write.js';

describe('encodeGrayPng / encodeRgbPng', () => {
  it('round-trips 8-bit gray through decodeImage', () => {
    const data = Uint8Array.from({ length: 12 }, (_, i) => i * 21);
    const image = decodeImage(encodeGrayPng({ width: 4, height: 3, data }), 'gray.png');
    expect(image).toMatchObject({ width: 4, height: 3 });
    expect(Array.from(image.data)).toEqual(Array.from(data));
  });

  it('rounds and clamps float samples such as a GrayImage', () => {
    const data = Float32Array.from([-3, 0.4, 0.5, 254.6, 300, 127.49]);
    const image = decodeImage(encodeGrayPng({ width: 3, height: 2, data }), 'float.png');
    expect(Array.from(image.data)).toEqual([0, 0, 1, 255, 255, 127]);
  });

  it('writes RGB as three 8-bit channels without alpha', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3]);
    const bytes = encodeRgbPng({ width: 2, height: 2, data: rgb });
    const png = pngjs.PNG.sync.read(Buffer.from(bytes));
    expect(png).toMatchObject({ width: 2, height: 2, colorType: 2, depth: 8 });
    const channels = Array.from({ length: 4 }, (_, p) => Array.from(png.data.subarray(4 * p, 4 * p + 3)));
    expect(channels.flat()).toEqual(Array.from(rgb));
  });

  it('refuses data that does not match the size', () => {
    expect(() => encodeGrayPng({ width: 2, height: 2, data: new Uint8Array(3) })).toThrow(/3 samples, expected 4/);
    expect(() => encodeRgbPng({ width: 2, height: 2, data: new Uint8Array(4) })).toThrow(/expected 12/);
    expect(() => encodeGrayPng({ width: 0, height: 2, data: new Uint8Array(0) })).toThrow(RangeError);
  });
});
