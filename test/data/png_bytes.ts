// Hand-built PNG files for decoder tests: every colour type and bit depth, including those pngjs cannot write
// (palette, 1/2/4-bit gray), plus chunks and headers a writer would never produce.
import { crc32, deflateSync } from 'node:zlib';

export interface PngSpec {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  /** Unfiltered scanlines, already packed at the bit depth (big-endian for 16-bit). */
  rows: Uint8Array[];
  /** Chunks placed between IHDR and IDAT, such as PLTE and tRNS. */
  chunks?: { type: string; data: Uint8Array }[];
}

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function ihdr(width: number, height: number, depth: number, colorType: number): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = depth;
  data[9] = colorType;
  return chunk('IHDR', data);
}

export const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function buildPng(spec: PngSpec): Uint8Array {
  const raw = Buffer.concat(spec.rows.flatMap((row) => [Buffer.from([0]), Buffer.from(row)])); // filter 0 per row
  return concat([
    SIGNATURE,
    ihdr(spec.width, spec.height, spec.depth, spec.colorType),
    ...(spec.chunks ?? []).map((c) => chunk(c.type, c.data)),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Packs samples of `depth` bits (1, 2, 4) into bytes, most significant bits first. */
export function packBits(samples: number[], depth: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((samples.length * depth) / 8));
  samples.forEach((s, i) => {
    const bit = i * depth;
    out[bit >> 3] |= s << (8 - depth - (bit & 7));
  });
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
