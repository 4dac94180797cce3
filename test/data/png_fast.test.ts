import { deflateSync, inflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { decodeImage, luma } from '../../src/io/image.js';
import { decodePngFast } from '../../src/io/png_fast.js';
import { chunk, concat, ihdr, SIGNATURE } from './png_bytes.js';

type ColorType = 0 | 2 | 4 | 6;

function headerOf(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20), depth: bytes[24]!, colorType: bytes[25]! };
}

/** A PNG of random samples written by pngjs with the given row filter (-1: pngjs picks per row). */
function randomPng(width: number, height: number, colorType: ColorType, depth: 8 | 16, filterType: number, seed = 1) {
  const rng = createRng(seed);
  const levels = depth === 16 ? 65536 : 256;
  // A slow ramp broken by noise, so that every filter sees small and large differences.
  const samples = Array.from({ length: width * height * 4 }, (_, i) =>
    Math.floor((i % 7 < 3 ? rng.next() : (i >> 4) / (width * height * 0.25)) * levels) % levels);
  const png = new pngjs.PNG({ width, height });
  png.data = depth === 16 ? Buffer.from(new Uint16Array(samples).buffer) : Buffer.from(samples);
  const options = { colorType, inputColorType: 6, inputHasAlpha: true, bitDepth: depth, filterType } as const;
  // A copy, not pngjs's Buffer: Buffer's slice() is a view, and the cases below edit slices.
  return new Uint8Array(pngjs.PNG.sync.write(png, options));
}

/** What decodeImage gave through pngjs: its RGBA read, gray from R, colour by luma, scaled to 0..255. */
function throughPngjs(bytes: Uint8Array): Float32Array {
  const { width, height, depth, colorType } = headerOf(bytes);
  const rgba = pngjs.PNG.sync.read(Buffer.from(bytes), { skipRescale: true }).data as ArrayLike<number>;
  const scale = 255 / (2 ** depth - 1);
  const gray = colorType === 0 || colorType === 4;
  return Float32Array.from({ length: width * height }, (_, i) =>
    gray ? rgba[4 * i]! * scale : luma(rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!) * scale);
}

/** The chunks of a PNG as [type, data] pairs. */
function chunksOf(bytes: Uint8Array): [string, Uint8Array][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: [string, Uint8Array][] = [];
  for (let at = 8; at + 12 <= bytes.length; at += 12 + view.getUint32(at)) {
    const type = Buffer.from(bytes.subarray(at + 4, at + 8)).toString('latin1');
    out.push([type, bytes.subarray(at + 8, at + 8 + view.getUint32(at))]);
  }
  return out;
}

const IEND: [string, Uint8Array] = ['IEND', new Uint8Array()];
const iend = chunk(...IEND);
const idatOf = (raw: number[]) => chunk('IDAT', deflateSync(Buffer.from(raw)));
const rebuilt = (chunks: [string, Uint8Array][]) =>
  concat([SIGNATURE, ...chunks.map(([type, data]) => chunk(type, data))]);

describe('decodePngFast', () => {
  it('gives what pngjs gave, bit for bit, for every colour type, depth and row filter it takes', () => {
    let seed = 1;
    for (const colorType of [0, 2, 4, 6] as const) {
      for (const depth of [8, 16] as const) {
        for (const filterType of [-1, 0, 1, 2, 3, 4]) {
          for (const [width, height] of [[1, 1], [7, 3], [33, 17]] as const) {
            const bytes = randomPng(width, height, colorType, depth, filterType, seed++);
            const what = `type ${colorType}, ${depth}-bit, filter ${filterType}, ${width}x${height}`;
            const fast = decodePngFast(bytes, headerOf(bytes), luma);
            expect(fast, what).not.toBeNull();
            expect(fast!.data, what).toEqual(throughPngjs(bytes));
            expect(decodeImage(bytes, 'x.png').data, what).toEqual(fast!.data);
          }
        }
      }
    }
  });

  it('joins image data split over several IDAT chunks and skips ancillary chunks', () => {
    const bytes = randomPng(19, 11, 2, 8, -1, 99);
    const chunks = chunksOf(bytes);
    const data = chunks.find(([type]) => type === 'IDAT')![1];
    const third = Math.floor(data.length / 3);
    const split = rebuilt([
      chunks[0]!,
      ['gAMA', new Uint8Array([0, 0, 177, 143])],
      ['IDAT', data.subarray(0, third)],
      ['tEXt', new TextEncoder().encode('Comment\0chest')],
      ['IDAT', data.subarray(third, 2 * third)],
      ['IDAT', data.subarray(2 * third)],
      ['IEND', new Uint8Array()],
    ]);
    expect(decodePngFast(split, headerOf(split), luma)!.data).toEqual(throughPngjs(bytes));
    expect(throughPngjs(split)).toEqual(throughPngjs(bytes)); // pngjs does not apply gAMA either
  });

  it('leaves to pngjs what it does not take or what is not exactly well formed', () => {
    const good = randomPng(9, 5, 0, 8, 4, 7);
    const chunks = chunksOf(good);
    const idat = chunks.find(([type]) => type === 'IDAT')![1];
    const raw = new Uint8Array(inflateSync(idat));
    const withData = (data: Uint8Array) => rebuilt([chunks[0]!, ['IDAT', deflateSync(data)], IEND]);
    const withHeader = (patch: (h: Uint8Array) => void) => {
      const h = chunks[0]![1].slice();
      patch(h);
      return rebuilt([['IHDR', h], ...chunks.slice(1)]);
    };
    const cases: [string, Uint8Array][] = [
      ['interlaced', withHeader((h) => (h[12] = 1))],
      ['a filter method other than 0', withHeader((h) => (h[11] = 1))],
      ['a palette image', concat([SIGNATURE,
        ihdr(1, 1, 8, 3), chunk('PLTE', new Uint8Array(3)), idatOf([0, 0]), iend])],
      ['4-bit gray', concat([SIGNATURE, ihdr(2, 1, 4, 0), idatOf([0, 0x1f]), iend])],
      ['a bad CRC', good.map((v, i) => (i === good.length - 16 ? v ^ 1 : v))],
      ['no IEND', good.subarray(0, good.length - 12)],
      ['a cut chunk', good.subarray(0, good.length - 20)],
      ['another critical chunk', rebuilt([chunks[0]!, ['PLTE', new Uint8Array(3)], ...chunks.slice(1)])],
      ['image data one byte short', withData(raw.subarray(1))],
      ['image data one byte long', withData(concat([raw, new Uint8Array(1)]))],
      ['an unknown row filter', withData(raw.map((v, i) => (i === 0 ? 5 : v)))],
      ['data that does not inflate', rebuilt([chunks[0]!, ['IDAT', new Uint8Array([1, 2, 3, 4])], IEND])],
    ];
    for (const [what, bytes] of cases) expect(decodePngFast(bytes, headerOf(bytes), luma), what).toBeNull();
    expect(decodePngFast(good, headerOf(good), luma)).not.toBeNull();
  });
});
