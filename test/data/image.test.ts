import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, ImageError, luma, MAX_IMAGE_PIXELS } from '../../src/io/image.js';
import { buildPng, chunk, concat, ihdr, packBits, SIGNATURE } from './png_bytes.js';

type ColorType = 0 | 2 | 4 | 6;

/** A PNG written by pngjs from interleaved samples of the given colour type. */
function pngjsWrite(width: number, height: number, colorType: ColorType, samples: number[], bitDepth: 8 | 16 = 8): Uint8Array {
  const png = new pngjs.PNG();
  png.width = width;
  png.height = height;
  png.data = bitDepth === 16 ? Buffer.from(new Uint16Array(samples).buffer) : Buffer.from(samples);
  return pngjs.PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: colorType >= 4, bitDepth });
}

function fixture(name: string): Uint8Array {
  return readFileSync(fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url)));
}

function gradient(width: number, height: number): number[] {
  return Array.from({ length: width * height }, (_, i) => 12 * (i % width) + 8 * Math.floor(i / width));
}

describe('decodeImage: PNG', () => {
  it('reads 8-bit gray exactly', () => {
    const samples = [0, 1, 127, 128, 254, 255];
    const image = decodeImage(pngjsWrite(3, 2, 0, samples), 'gray8.png');
    expect(image).toMatchObject({ width: 3, height: 2 });
    expect(Array.from(image.data)).toEqual(samples);
  });

  it('keeps 16-bit gray precision, scaled to 0..255', () => {
    const samples = [0, 1, 257, 32768, 65534, 65535];
    const image = decodeImage(pngjsWrite(6, 1, 0, samples, 16), 'gray16.png');
    const want = samples.map((s) => Math.fround((s * 255) / 65535));
    expect(Array.from(image.data)).toEqual(want);
    expect(image.data[1]).toBeGreaterThan(0); // an 8-bit rescale would round 1/65535 to 0
  });

  it('converts 8-bit RGB by BT.601 luma', () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30];
    const image = decodeImage(pngjsWrite(2, 2, 2, rgb), 'rgb.png');
    const want = [luma(255, 0, 0), luma(0, 255, 0), luma(0, 0, 255), luma(10, 200, 30)];
    want.forEach((w, i) => expect(image.data[i]).toBeCloseTo(w, 4));
  });

  it('converts 16-bit RGB by luma, scaled to 0..255', () => {
    const rgb = [65535, 0, 0, 1000, 2000, 3000];
    const image = decodeImage(pngjsWrite(2, 1, 2, rgb, 16), 'rgb16.png');
    expect(image.data[0]).toBeCloseTo(0.299 * 255, 4);
    expect(image.data[1]).toBeCloseTo((luma(1000, 2000, 3000) * 255) / 65535, 4);
  });

  it('ignores alpha in RGBA and gray+alpha', () => {
    const rgba = decodeImage(pngjsWrite(2, 1, 6, [10, 200, 30, 0, 90, 90, 90, 255]), 'rgba.png');
    expect(rgba.data[0]).toBeCloseTo(luma(10, 200, 30), 4);
    expect(rgba.data[1]).toBeCloseTo(90, 4);
    const grayAlpha = decodeImage(pngjsWrite(2, 1, 4, [77, 0, 200, 128]), 'ga.png');
    expect(Array.from(grayAlpha.data)).toEqual([77, 200]);
  });

  it('reads palette images at 8 and 2 bits per index', () => {
    const palette = { type: 'PLTE', data: new Uint8Array([0, 0, 0, 255, 0, 0, 10, 200, 30, 255, 255, 255]) };
    const indices = [0, 1, 2, 3, 3, 2];
    const want = [0, luma(255, 0, 0), luma(10, 200, 30), 255, 255, luma(10, 200, 30)];
    for (const depth of [8, 2]) {
      const rows = [indices.slice(0, 3), indices.slice(3)].map((r) => (depth === 8 ? new Uint8Array(r) : packBits(r, depth)));
      const image = decodeImage(buildPng({ width: 3, height: 2, depth, colorType: 3, rows, chunks: [palette] }), `p${depth}.png`);
      want.forEach((w, i) => expect(image.data[i], `depth ${depth} pixel ${i}`).toBeCloseTo(w, 4));
    }
  });

  it('scales 1- and 4-bit gray to 0..255', () => {
    const one = decodeImage(buildPng({ width: 3, height: 1, depth: 1, colorType: 0, rows: [packBits([1, 0, 1], 1)] }), 'g1.png');
    expect(Array.from(one.data)).toEqual([255, 0, 255]);
    const four = decodeImage(buildPng({ width: 3, height: 1, depth: 4, colorType: 0, rows: [packBits([15, 5, 0], 4)] }), 'g4.png');
    expect(Array.from(four.data)).toEqual([255, 85, 0]);
  });

  it('keeps the colour of pixels named by a gray or RGB tRNS chunk', () => {
    const trns = { type: 'tRNS', data: new Uint8Array([0, 100]) }; // gray level 100 is "transparent"
    const image = decodeImage(buildPng({ width: 2, height: 1, depth: 8, colorType: 0, rows: [new Uint8Array([100, 50])], chunks: [trns] }), 't.png');
    expect(Array.from(image.data)).toEqual([100, 50]);
  });

  it('sniffs the format from the bytes, not the extension', () => {
    const image = decodeImage(pngjsWrite(1, 1, 0, [42]), 'actually-a-png.jpg');
    expect(Array.from(image.data)).toEqual([42]);
  });
});

describe('decodeImage: JPEG', () => {
  it('decodes a jpeg-js encoded colour image to its luma', () => {
    const [r, g, b] = [200, 100, 50];
    const rgba = new Uint8Array(16 * 16 * 4).map((_, i) => [r, g, b, 255][i % 4]);
    const bytes = jpeg.encode({ width: 16, height: 16, data: rgba }, 95).data;
    const image = decodeImage(bytes, 'flat.jpg');
    expect(image).toMatchObject({ width: 16, height: 16 });
    for (const v of image.data) expect(Math.abs(v - luma(r, g, b))).toBeLessThan(3);
  });

  it('decodes grayscale (one component) and progressive JPEGs', () => {
    const want = gradient(16, 8);
    for (const name of ['gray_gradient.jpg', 'progressive_gradient.jpg']) {
      const image = decodeImage(fixture(name), name);
      expect(image).toMatchObject({ width: 16, height: 8 });
      want.forEach((w, i) => expect(Math.abs(image.data[i] - w), `${name} pixel ${i}`).toBeLessThan(4));
    }
  });
});

describe('decodeImage: refusals name the file', () => {
  const good = pngjsWrite(8, 8, 0, gradient(8, 8));
  const refuses = (bytes: Uint8Array, source: string, message: RegExp) => {
    expect(() => decodeImage(bytes, source)).toThrow(ImageError);
    expect(() => decodeImage(bytes, source)).toThrow(new RegExp(`^${source.replace('.', '\\.')}: .*${message.source}`));
  };

  it('refuses truncated and corrupt PNGs', () => {
    refuses(good.subarray(0, good.length - 20), 'cut.png', /truncated/);
    refuses(good.subarray(0, 20), 'header-only.png', /truncated/);
    const flipped = Uint8Array.from(good); // a copy (Buffer.slice would be a view of good)
    flipped[good.length - 20] ^= 0xff; // inside IDAT: the CRC no longer matches
    refuses(flipped, 'flipped.png', /corrupt/);
  });

  it('refuses a text file with an image extension, and an empty file', () => {
    refuses(new TextEncoder().encode('patient notes, not an image\n'), 'notes.png', /not a PNG or JPEG.*looks like text/);
    refuses(new Uint8Array(0), 'empty.png', /empty/);
  });

  it('refuses zero width or height', () => {
    refuses(concat([SIGNATURE, ihdr(0, 10, 8, 0), chunk('IEND', new Uint8Array(0))]), 'zero.png', /zero size/);
    refuses(concat([SIGNATURE, ihdr(10, 0, 8, 0), chunk('IEND', new Uint8Array(0))]), 'zero.png', /zero size/);
  });

  it('refuses a huge declared size from the header, before allocating', () => {
    // 100000 x 100000 gray would need 10 GB; the IDAT is a few bytes, so only the header check can catch it.
    const huge = buildPng({ width: 100_000, height: 100_000, depth: 8, colorType: 0, rows: [new Uint8Array(1)] });
    const before = process.memoryUsage().arrayBuffers;
    refuses(huge, 'huge.png', new RegExp(`over the limit of ${MAX_IMAGE_PIXELS} pixels`));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses unsupported PNG bit depths and colour types', () => {
    refuses(concat([SIGNATURE, ihdr(4, 4, 3, 0), chunk('IEND', new Uint8Array(0))]), 'd3.png', /unsupported PNG bit depth 3/);
    refuses(concat([SIGNATURE, ihdr(4, 4, 4, 2), chunk('IEND', new Uint8Array(0))]), 'rgb4.png', /unsupported PNG bit depth 4/);
    refuses(concat([SIGNATURE, ihdr(4, 4, 16, 3), chunk('IEND', new Uint8Array(0))]), 'p16.png', /unsupported PNG bit depth 16/);
    refuses(concat([SIGNATURE, ihdr(4, 4, 8, 5), chunk('IEND', new Uint8Array(0))]), 'c5.png', /unsupported PNG colour type 5/);
  });

  const jpegBytes = jpeg.encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(128) }, 90).data;
  const sofOffset = (bytes: Uint8Array) => bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);

  it('refuses truncated JPEGs and JPEGs without a frame header', () => {
    refuses(jpegBytes.subarray(0, jpegBytes.length - 40), 'cut.jpg', /corrupt or truncated JPEG/);
    refuses(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 'bare.jpg', /no frame header/);
  });

  it('refuses a huge declared JPEG size and other precisions from the frame header', () => {
    const huge = new Uint8Array(jpegBytes);
    const at = sofOffset(huge);
    huge.set([0xff, 0xff, 0xff, 0xff], at + 5); // height and width 65535: 4.3 gigapixels
    refuses(huge, 'huge.jpg', /over the limit/);
    const twelveBit = new Uint8Array(jpegBytes);
    twelveBit[at + 4] = 12;
    refuses(twelveBit, 'deep.jpg', /unsupported JPEG bit depth 12/);
    const lossless = new Uint8Array(jpegBytes);
    lossless[at + 1] = 0xc3;
    refuses(lossless, 'lossless.jpg', /unsupported JPEG coding/);
  });
});

describe('luma', () => {
  it('uses the BT.601 weights of PIL convert("L"), unrounded', () => {
    expect(luma(255, 0, 0)).toBeCloseTo(76.245, 10);
    expect(luma(0, 255, 0)).toBeCloseTo(149.685, 10);
    expect(luma(0, 0, 255)).toBeCloseTo(29.07, 10);
    expect(luma(255, 255, 255)).toBeCloseTo(255, 10);
  });
});
