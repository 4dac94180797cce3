/**
 * Element types a weight file may store, named as safetensors names them, and their decoding to f32.
 * Integers and booleans (num_batches_tracked, masks) are widened to f32 too: every consumer of weights computes in f32.
 */
export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type DType = keyof typeof DTYPE_SIZES;

export function isDType(name: string): name is DType {
  return Object.hasOwn(DTYPE_SIZES, name);
}

export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes `count` elements stored at `bytes[byteOffset...]` into a new Float32Array.
 * `littleEndian` is the byte order of the stored data (safetensors always little; a .pth says which).
 * The caller has checked that the range lies inside `bytes`.
 */
export function decodeToFloat32(
  bytes: Uint8Array,
  byteOffset: number,
  count: number,
  dtype: DType,
  littleEndian = true,
): Float32Array {
  const size = DTYPE_SIZES[dtype];
  const end = byteOffset + count * size;
  if (byteOffset < 0 || end > bytes.length) throw new RangeError(`decodeToFloat32: [${byteOffset}, ${end}) outside ${bytes.length} bytes`);
  const { buffer, offset, copied } = inHostOrder(bytes.subarray(byteOffset, end), size, littleEndian);
  switch (dtype) {
    case 'F32': {
      const view = new Float32Array(buffer, offset, count);
      return copied ? view : view.slice();
    }
    case 'F64': return new Float32Array(new Float64Array(buffer, offset, count));
    case 'I32': return new Float32Array(new Int32Array(buffer, offset, count));
    case 'U32': return new Float32Array(new Uint32Array(buffer, offset, count));
    case 'I16': return new Float32Array(new Int16Array(buffer, offset, count));
    case 'U16': return new Float32Array(new Uint16Array(buffer, offset, count));
    case 'I8': return new Float32Array(new Int8Array(buffer, offset, count));
    case 'U8': return new Float32Array(new Uint8Array(buffer, offset, count));
    case 'BOOL': return Float32Array.from(new Uint8Array(buffer, offset, count), (b) => (b === 0 ? 0 : 1));
    case 'I64': return Float32Array.from(new BigInt64Array(buffer, offset, count), Number);
    case 'U64': return Float32Array.from(new BigUint64Array(buffer, offset, count), Number);
    case 'F16': {
      const table = f16Table();
      return Float32Array.from(new Uint16Array(buffer, offset, count), (h) => table[h]);
    }
    case 'BF16': {
      // bfloat16 is the top half of an f32: shifting the bits up is exact.
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      const halves = new Uint16Array(buffer, offset, count);
      for (let i = 0; i < count; i++) bits[i] = halves[i] << 16;
      return out;
    }
    case 'F8_E5M2': {
      // E5M2 is the top byte of an f16.
      const table = f16Table();
      return Float32Array.from(new Uint8Array(buffer, offset, count), (b) => table[b << 8]);
    }
    case 'F8_E4M3': {
      const table = e4m3Table();
      return Float32Array.from(new Uint8Array(buffer, offset, count), (b) => table[b]);
    }
  }
}

/**
 * The elements in host byte order at an offset aligned for their size: a view of the input when it already is,
 * otherwise one copy of just this range (byte-swapped when the stored order differs from the host's).
 */
function inHostOrder(
  range: Uint8Array,
  size: number,
  littleEndian: boolean,
): { buffer: ArrayBufferLike; offset: number; copied: boolean } {
  const swap = size > 1 && littleEndian !== hostIsLittleEndian;
  if (!swap && range.byteOffset % size === 0) return { buffer: range.buffer, offset: range.byteOffset, copied: false };
  const copy = range.slice();
  if (swap) for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  return { buffer: copy.buffer, offset: 0, copied: true };
}

let f16Values: Float32Array | undefined;

/** All 65536 half-precision values, built on first use: a lookup beats bit twiddling per element. */
function f16Table(): Float32Array {
  if (f16Values) return f16Values;
  f16Values = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) f16Values[h] = sign * fraction * 2 ** -24;
    else if (exponent === 31) f16Values[h] = fraction === 0 ? sign * Infinity : NaN;
    else f16Values[h] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return f16Values;
}

let e4m3Values: Float32Array | undefined;

/** float8 E4M3 in its "FN" form (as PyTorch and safetensors use it): bias 7, no infinities, S.1111.111 is NaN. */
function e4m3Table(): Float32Array {
  if (e4m3Values) return e4m3Values;
  e4m3Values = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exponent = (b >> 3) & 0xf;
    const fraction = b & 0x7;
    if (exponent === 15 && fraction === 7) e4m3Values[b] = NaN;
    else if (exponent === 0) e4m3Values[b] = sign * fraction * 2 ** -9;
    else e4m3Values[b] = sign * (1 + fraction / 8) * 2 ** (exponent - 7);
  }
  return e4m3Values;
}
