/**
 * A small DEFLATE (RFC 1951) decoder for zip entries, modelled on zlib's `puff.c`: canonical Huffman codes decoded
 * one bit at a time. torch.save stores its entries uncompressed, so this only runs on checkpoints that some tool
 * re-zipped; clarity and a synchronous API matter more here than speed (DecompressionStream is async only).
 */

export class CorruptDeflateError extends Error {}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block lists the code lengths of its code-length alphabet. */
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;

/** A canonical Huffman code: how many codes have each length, and the symbols sorted by (length, value). */
interface Huffman {
  counts: Uint16Array;
  symbols: Uint16Array;
}

function huffman(lengths: ArrayLike<number>): Huffman {
  const counts = new Uint16Array(MAX_BITS + 1);
  for (let s = 0; s < lengths.length; s++) counts[lengths[s]]++;
  counts[0] = 0;
  // Incomplete codes are allowed (a block may use a single distance code); over-subscribed ones cannot be decoded.
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = left * 2 - counts[len];
    if (left < 0) throw new CorruptDeflateError('over-subscribed Huffman code');
  }
  const next = new Uint16Array(MAX_BITS + 2);
  for (let len = 1; len <= MAX_BITS; len++) next[len + 1] = next[len] + counts[len];
  const symbols = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s] !== 0) symbols[next[lengths[s]]++] = s;
  return { counts, symbols };
}

const FIXED_LITERALS = huffman([...Array(288)].map((_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)));
const FIXED_DISTANCES = huffman(new Array(30).fill(5));

/** Inflates `input` into exactly `outputSize` bytes, the size a zip directory declares; anything else is corrupt. */
export function inflateRaw(input: Uint8Array, outputSize: number): Uint8Array {
  const out = new Uint8Array(outputSize);
  let written = 0;
  let position = 0; // next input byte
  let bitBuffer = 0;
  let bitCount = 0;

  const bits = (n: number): number => {
    while (bitCount < n) {
      if (position >= input.length) throw new CorruptDeflateError('compressed data ends early');
      bitBuffer |= input[position++] << bitCount;
      bitCount += 8;
    }
    const value = bitBuffer & ((1 << n) - 1);
    bitBuffer >>>= n;
    bitCount -= n;
    return value;
  };

  const decode = ({ counts, symbols }: Huffman): number => {
    let code = 0; // bits read so far, first bit most significant
    let first = 0; // first code of the current length
    let index = 0; // index of that code's symbol
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= bits(1);
      if (code - first < counts[len]) return symbols[index + code - first];
      index += counts[len];
      first = (first + counts[len]) * 2;
      code *= 2;
    }
    throw new CorruptDeflateError('invalid Huffman code');
  };

  const storedBlock = () => {
    bitBuffer = 0; // a stored block starts on a byte boundary
    bitCount = 0;
    if (position + 4 > input.length) throw new CorruptDeflateError('compressed data ends early');
    const length = input[position] | (input[position + 1] << 8);
    const complement = input[position + 2] | (input[position + 3] << 8);
    position += 4;
    if (length !== (~complement & 0xffff)) throw new CorruptDeflateError('stored block length does not match its complement');
    if (position + length > input.length) throw new CorruptDeflateError('compressed data ends early');
    if (written + length > outputSize) throw new CorruptDeflateError(`inflates to more than the declared ${outputSize} bytes`);
    out.set(input.subarray(position, position + length), written);
    position += length;
    written += length;
  };

  const dynamicCodes = (): [Huffman, Huffman] => {
    const literalCount = bits(5) + 257;
    const distanceCount = bits(5) + 1;
    const codeLengthCount = bits(4) + 4;
    if (literalCount > 286 || distanceCount > 30) throw new CorruptDeflateError('too many length or distance codes');
    const codeLengthLengths = new Uint8Array(19);
    for (let i = 0; i < codeLengthCount; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]] = bits(3);
    const codeLengthCode = huffman(codeLengthLengths);
    const lengths = new Uint8Array(literalCount + distanceCount);
    for (let i = 0; i < lengths.length; ) {
      const symbol = decode(codeLengthCode);
      if (symbol < 16) {
        lengths[i++] = symbol;
        continue;
      }
      let repeated = 0;
      let times: number;
      if (symbol === 16) {
        if (i === 0) throw new CorruptDeflateError('repeat of a code length with no previous length');
        repeated = lengths[i - 1];
        times = 3 + bits(2);
      } else times = symbol === 17 ? 3 + bits(3) : 11 + bits(7);
      if (i + times > lengths.length) throw new CorruptDeflateError('code lengths overflow their table');
      lengths.fill(repeated, i, i + times);
      i += times;
    }
    if (lengths[256] === 0) throw new CorruptDeflateError('block has no end-of-block code');
    return [huffman(lengths.subarray(0, literalCount)), huffman(lengths.subarray(literalCount))];
  };

  const huffmanBlock = (literals: Huffman, distances: Huffman) => {
    for (;;) {
      const symbol = decode(literals);
      if (symbol === 256) return;
      if (symbol < 256) {
        if (written >= outputSize) throw new CorruptDeflateError(`inflates to more than the declared ${outputSize} bytes`);
        out[written++] = symbol;
        continue;
      }
      const lengthCode = symbol - 257;
      if (lengthCode >= 29) throw new CorruptDeflateError(`invalid length symbol ${symbol}`);
      const length = LENGTH_BASE[lengthCode] + bits(LENGTH_EXTRA[lengthCode]);
      const distanceCode = decode(distances);
      if (distanceCode >= 30) throw new CorruptDeflateError(`invalid distance symbol ${distanceCode}`);
      const distance = DISTANCE_BASE[distanceCode] + bits(DISTANCE_EXTRA[distanceCode]);
      if (distance > written) throw new CorruptDeflateError('distance reaches before the start of the output');
      if (written + length > outputSize) throw new CorruptDeflateError(`inflates to more than the declared ${outputSize} bytes`);
      // Byte by byte: the source may overlap the bytes being written (a run).
      for (let i = 0; i < length; i++, written++) out[written] = out[written - distance];
    }
  };

  let last = 0;
  while (!last) {
    last = bits(1);
    const type = bits(2);
    if (type === 0) storedBlock();
    else if (type === 1) huffmanBlock(FIXED_LITERALS, FIXED_DISTANCES);
    else if (type === 2) huffmanBlock(...dynamicCodes());
    else throw new CorruptDeflateError('invalid block type 3');
  }
  if (written !== outputSize) throw new CorruptDeflateError(`inflates to ${written} bytes, not the declared ${outputSize}`);
  return out;
}
