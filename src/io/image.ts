// Decoding PNG and JPEG files into one gray float plane. No file system access here: the caller reads the
// bytes and passes the file's name, which every error message carries. (pngjs parses from a Node Buffer, so
// the bytes are wrapped in one, without a copy; nothing else here needs Node.)
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { decodePngFast } from './png_fast.js';

/** A single-channel image, row-major, values in [0, 255] as floats (16-bit sources keep their precision). */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Refused or undecodable image data; the message names the file. */
export class ImageError extends Error {
  override name = 'ImageError';
}

/**
 * Largest image accepted, in pixels (width * height), checked against the header before anything is decoded.
 * 100 MP is far beyond any chest radiograph (about 3000 x 3000) yet keeps a decode under about 2 GB.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

// jpeg-js holds every component plane plus an RGBA copy: 100 MP * (3 + 4) bytes, with room for block padding.
const JPEG_MAX_MEMORY_MB = 1024;

// Luma weights of ITU-R BT.601, the ones PIL's convert('L') uses (we keep the fraction instead of rounding).
const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// Bit depths the PNG specification allows for each colour type.
const PNG_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16], // gray
  2: [8, 16], // RGB
  3: [1, 2, 4, 8], // palette
  4: [8, 16], // gray + alpha
  6: [8, 16], // RGBA
};

/** Decodes a PNG or JPEG (format sniffed from the magic bytes) into gray floats in [0, 255]. */
export function decodeImage(bytes: Uint8Array, source: string): GrayImage {
  if (startsWith(bytes, PNG_SIGNATURE)) return decodePng(bytes, source);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return decodeJpeg(bytes, source);
  }
  if (bytes.length === 0) throw new ImageError(`${source}: empty file`);
  throw new ImageError(`${source}: not a PNG or JPEG image (starts with ${describeStart(bytes)})`);
}

/** The gray value of an RGB colour by BT.601 luma, unrounded. */
export function luma(r: number, g: number, b: number): number {
  return LUMA_R * r + LUMA_G * g + LUMA_B * b;
}

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
}

function decodePng(bytes: Uint8Array, source: string): GrayImage {
  const header = readPngHeader(bytes, source);
  checkDimensions(header.width, header.height, source);
  const allowed = PNG_DEPTHS[header.colorType];
  if (!allowed) throw new ImageError(`${source}: unsupported PNG colour type ${header.colorType}`);
  if (!allowed.includes(header.depth)) {
    throw new ImageError(`${source}: unsupported PNG bit depth ${header.depth} for colour type ${header.colorType}`);
  }

  const fast = decodePngFast(bytes, header, luma);
  if (fast) return fast;
  // pngjs blanks pixels that match a gray/RGB tRNS colour; alpha is ignored here, so drop that chunk first.
  const input = header.colorType === 0 || header.colorType === 2 ? withoutChunk(bytes, 'tRNS') : bytes;
  let png: { data: ArrayLike<number> };
  try {
    // skipRescale keeps 16-bit samples as a Uint16Array and 1/2/4-bit gray as raw levels; we scale below.
    png = pngjs.PNG.sync.read(Buffer.from(input.buffer, input.byteOffset, input.byteLength), { skipRescale: true });
  } catch (e) {
    throw new ImageError(`${source}: corrupt or truncated PNG (${(e as Error).message})`);
  }

  // pngjs always hands back RGBA; palette entries are 8-bit colours whatever the index depth.
  const maxLevel = header.colorType === 3 ? 255 : 2 ** header.depth - 1;
  const isGray = header.colorType === 0 || header.colorType === 4;
  return rgbaToGray(png.data, header.width, header.height, 255 / maxLevel, isGray, source);
}

function readPngHeader(bytes: Uint8Array, source: string): PngHeader {
  // Signature (8) + IHDR length (4) + type (4) + 13 bytes of fields.
  if (bytes.length < 33) throw new ImageError(`${source}: truncated PNG (no complete IHDR header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || chunkType(bytes, 12) !== 'IHDR') {
    throw new ImageError(`${source}: corrupt PNG (first chunk is not IHDR)`);
  }
  return { width: view.getUint32(16), height: view.getUint32(20), depth: bytes[24], colorType: bytes[25] };
}

function chunkType(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

/** The PNG with every chunk of the given type removed (the same array when there is none). */
function withoutChunk(bytes: Uint8Array, type: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  let found = false;
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const end = offset + 12 + view.getUint32(offset);
    if (end > bytes.length) break; // truncated: leave the rest for the decoder to report
    if (chunkType(bytes, offset + 4) === type) found = true;
    else kept.push(bytes.subarray(offset, end));
    offset = end;
  }
  if (!found) return bytes;
  kept.push(bytes.subarray(offset));
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of kept) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

interface JpegFrame {
  width: number;
  height: number;
  precision: number;
  components: number;
  marker: number;
}

function decodeJpeg(bytes: Uint8Array, source: string): GrayImage {
  const frame = readJpegFrame(bytes, source);
  checkDimensions(frame.width, frame.height, source);
  // jpeg-js decodes baseline, extended sequential and progressive Huffman JPEGs, 8 bits per sample only.
  if (frame.marker > 0xc2) {
    throw new ImageError(`${source}: unsupported JPEG coding (SOF marker 0x${frame.marker.toString(16)})`);
  }
  if (frame.precision !== 8) throw new ImageError(`${source}: unsupported JPEG bit depth ${frame.precision}`);

  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false, // a truncated scan must fail, not come back as gray padding
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
    });
  } catch (e) {
    throw new ImageError(`${source}: corrupt or truncated JPEG (${(e as Error).message})`);
  }
  if (decoded.width !== frame.width || decoded.height !== frame.height) {
    throw new ImageError(`${source}: corrupt JPEG (decoded size differs from its frame header)`);
  }
  return rgbaToGray(decoded.data, frame.width, frame.height, 1, frame.components === 1, source);
}

/** Walks the JPEG marker segments up to the first start-of-frame and reads its size and precision. */
function readJpegFrame(bytes: Uint8Array, source: string): JpegFrame {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw new ImageError(`${source}: corrupt JPEG (no marker at byte ${offset})`);
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length field
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end of image before any frame header
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (offset + 10 > bytes.length) break;
      return {
        precision: bytes[offset + 4],
        height: (bytes[offset + 5] << 8) | bytes[offset + 6],
        width: (bytes[offset + 7] << 8) | bytes[offset + 8],
        components: bytes[offset + 9],
        marker,
      };
    }
    offset += 2 + length;
  }
  throw new ImageError(`${source}: corrupt or truncated JPEG (no frame header)`);
}

function checkDimensions(width: number, height: number, source: string): void {
  if (width === 0 || height === 0) throw new ImageError(`${source}: image has zero size (${width}x${height})`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ImageError(
      `${source}: image is ${width}x${height}, over the limit of ${MAX_IMAGE_PIXELS} pixels (MAX_IMAGE_PIXELS)`,
    );
  }
}

function rgbaToGray(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  scale: number,
  isGray: boolean,
  source: string,
): GrayImage {
  const n = width * height;
  if (rgba.length < 4 * n) throw new ImageError(`${source}: corrupt image (decoded data is short)`);
  const data = new Float32Array(n);
  if (isGray) {
    // Gray sources are expanded to R = G = B; reading one channel avoids the weights' rounding.
    for (let i = 0; i < n; i++) data[i] = rgba[4 * i] * scale;
  } else {
    for (let i = 0; i < n; i++) data[i] = luma(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]) * scale;
  }
  return { width, height, data };
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function describeStart(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8);
  const printable = head.every((b) => b >= 0x20 && b < 0x7f);
  if (printable) return `"${String.fromCharCode(...head)}", which looks like text`;
  return Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
