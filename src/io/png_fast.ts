// The common PNGs straight to gray floats: 8- and 16-bit gray, gray + alpha, RGB and RGBA, not interlaced. pngjs
// expands every image to RGBA in JavaScript first, which made it about 1 ms of a 1.4 ms decode of a 224 x 224
// gray PNG (zlib's inflate: 0.15 ms); here each scanline is unfiltered in place and read once. Anything else, and
// anything not exactly well formed (a chunk's CRC, IDAT's length once inflated, a missing IEND), is left to pngjs,
// which decodes it or says what is wrong, so the errors stay the same.
import zlib from 'node:zlib';
import type { GrayImage } from './image.js';

/** Samples a pixel has, by colour type (palette, type 3, is left to pngjs). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * The image as decodeImage gives it (gray floats in 0..255, RGB by `luma`, alpha ignored), or null where pngjs
 * must decode it. `header` is the IHDR's fields as read by the caller.
 */
export function decodePngFast(
  bytes: Uint8Array,
  header: { width: number; height: number; depth: number; colorType: number },
  luma: (r: number, g: number, b: number) => number,
): GrayImage | null {
  const { width, height, depth, colorType } = header;
  const channels = CHANNELS[colorType];
  const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32; // Node >= 20.15
  // IHDR's compression, filter and interlace methods (bytes 26-28) other than 0 are pngjs's to refuse or decode.
  if (!channels || (depth !== 8 && depth !== 16) || bytes[26] || bytes[27] || bytes[28] || !crc32) return null;
  const idat = concatenatedIdat(bytes, crc32);
  if (!idat) return null;
  const bpp = (channels * depth) / 8;
  const stride = width * bpp;
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(idat);
  } catch {
    return null;
  }
  if (raw.length !== height * (stride + 1)) return null;
  if (!unfilter(raw, height, stride, bpp)) return null;

  const data = new Float32Array(width * height);
  const scale = 255 / (2 ** depth - 1);
  const wide = depth === 16;
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    const out = y * width;
    for (let x = 0; x < width; x++) {
      const at = row + x * bpp;
      const v0 = wide ? (raw[at]! << 8) | raw[at + 1]! : raw[at]!;
      if (channels <= 2) {
        data[out + x] = v0 * scale;
      } else {
        const v1 = wide ? (raw[at + 2]! << 8) | raw[at + 3]! : raw[at + 1]!;
        const v2 = wide ? (raw[at + 4]! << 8) | raw[at + 5]! : raw[at + 2]!;
        data[out + x] = luma(v0, v1, v2) * scale;
      }
    }
  }
  return { width, height, data };
}

/**
 * The IDAT chunks' data joined, or null unless every chunk up to IEND is whole with a matching CRC and the only
 * critical chunks are IHDR, IDAT and IEND (ancillary ones, gAMA, tRNS, text, are ignored as decodePng ignores them).
 */
function concatenatedIdat(bytes: Uint8Array, crc32: (data: Uint8Array) => number): Buffer | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if (end > bytes.length) return null;
    if (crc32(bytes.subarray(offset + 4, end - 4)) !== view.getUint32(end - 4)) return null;
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    if (type === 'IDAT') parts.push(bytes.subarray(offset + 8, end - 4));
    else if (type === 'IEND') return parts.length > 0 ? Buffer.concat(parts) : null;
    else if (type !== 'IHDR' && (bytes[offset + 4]! & 0x20) === 0) return null; // another critical chunk (PLTE, ...)
    offset = end;
  }
  return null;
}

/** Reverses each scanline's filter in place (PNG filter types 0-4); false on an unknown filter type. */
function unfilter(raw: Buffer, height: number, stride: number, bpp: number): boolean {
  for (let y = 0; y < height; y++) {
    const at = y * (stride + 1) + 1;
    const up = at - (stride + 1); // the previous row's first byte (row 0 has none: 0)
    const filter = raw[at - 1];
    if (filter === 0) continue;
    if (filter === 1) {
      for (let i = bpp; i < stride; i++) raw[at + i] = (raw[at + i]! + raw[at + i - bpp]!) & 255;
    } else if (filter === 2) {
      if (y > 0) for (let i = 0; i < stride; i++) raw[at + i] = (raw[at + i]! + raw[up + i]!) & 255;
    } else if (filter === 3) {
      for (let i = 0; i < stride; i++) {
        const left = i >= bpp ? raw[at + i - bpp]! : 0;
        const above = y > 0 ? raw[up + i]! : 0;
        raw[at + i] = (raw[at + i]! + ((left + above) >> 1)) & 255;
      }
    } else if (filter === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[at + i - bpp]! : 0;
        const b = y > 0 ? raw[up + i]! : 0;
        const c = i >= bpp && y > 0 ? raw[up + i - bpp]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        raw[at + i] = (raw[at + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
    } else {
      return false;
    }
  }
  return true;
}
