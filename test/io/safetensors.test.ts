import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MAX_HEADER_BYTES, WeightFileError, parseSafetensors, readSafetensorsHeader, serializeSafetensors } from '../../src/io/safetensors.js';
import { readWeights } from '../../src/io/weights.js';
import { mutate, parsesOrRefuses, seededRandom } from './mutations.js';

const SOURCE = 'model.safetensors';

/** A file with exactly this header text (no padding) and data region: the way to write invalid files. */
function rawFile(header: string | object, data: Uint8Array | number = 0, headerLength?: number): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  return rawBytesFile(text, data, headerLength);
}

function rawBytesFile(header: Uint8Array, data: Uint8Array | number = 0, headerLength = header.length): Uint8Array {
  const dataBytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const file = new Uint8Array(8 + header.length + dataBytes.length);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength), true);
  file.set(header, 8);
  file.set(dataBytes, 8 + header.length);
  return file;
}

function expectRejected(bytes: Uint8Array, message: RegExp | string): void {
  let thrown: unknown;
  try {
    parseSafetensors(bytes, SOURCE);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(WeightFileError);
  expect((thrown as Error).message.startsWith(`${SOURCE}: `)).toBe(true);
  if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
  else expect((thrown as Error).message).toMatch(message);
}

function u16Bytes(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(bytes.buffer).setUint16(2 * i, v, true));
  return bytes;
}

describe('serializeSafetensors / parseSafetensors', () => {
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [
    ['conv.weight', { shape: [2, 1, 2, 2], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -0, Infinity, 7]) }],
    ['10', { shape: [3], data: Float32Array.from([1, 2, 3]) }], // integer-like names must keep their place
    ['2', { shape: [], data: Float32Array.from([42]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ];

  it('round-trips values, shapes, order and metadata', () => {
    const bytes = serializeSafetensors(tensors, { format: 'pt', note: 'ünïcode' });
    const file = parseSafetensors(bytes, SOURCE);
    expect([...file.tensors.keys()]).toEqual(['conv.weight', '10', '2', 'empty']);
    for (const [name, { shape, data }] of tensors) {
      const read = file.tensors.get(name)!;
      expect(read.dtype).toBe('F32');
      expect(read.shape).toEqual(shape);
      expect(Array.from(read.data)).toEqual(Array.from(data));
    }
    expect(Object.is(file.tensors.get('conv.weight')!.data[5], -0)).toBe(true);
    expect(file.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
  });

  it('accepts a Map and pads the header with spaces to a multiple of 8, as the reference does', () => {
    const bytes = serializeSafetensors(new Map(tensors));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(header).toMatch(/^\{"conv\.weight":\{"dtype":"F32","shape":\[2,1,2,2\],"data_offsets":\[0,32\]\},"10":/);
    expect(header).toMatch(/\} *$/);
    expect(parseSafetensors(bytes, SOURCE).metadata).toEqual({});
  });

  it('writes byte for byte what the fixture generator wrote by hand', () => {
    const original = new Uint8Array(readFileSync(new URL('../fixtures/pth/tiny_expected.safetensors', import.meta.url)));
    const file = parseSafetensors(original, SOURCE);
    expect(file.tensors.size).toBeGreaterThan(5);
    expect(serializeSafetensors(file.tensors)).toEqual(original);
  });

  it('refuses to serialize inconsistent tensors', () => {
    expect(() => serializeSafetensors([['a', { shape: [2, 2], data: new Float32Array(3) }]])).toThrow(/shape \[2, 2\] but 3 values/);
    expect(() =>
      serializeSafetensors([
        ['a', { shape: [1], data: new Float32Array(1) }],
        ['a', { shape: [1], data: new Float32Array(1) }],
      ]),
    ).toThrow(/reserved or repeated/);
  });

  it('exposes the header alone for lazy readers', () => {
    const bytes = serializeSafetensors(tensors, { a: 'b' });
    const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = readSafetensorsHeader(bytes.subarray(0, dataStart), bytes.length, SOURCE);
    expect(header.dataStart).toBe(dataStart);
    expect(header.entries.get('10')).toEqual({ dtype: 'F32', shape: [3], begin: 32, end: 44 });
    expect(header.metadata).toEqual({ a: 'b' });
  });
});

describe('dtype decoding', () => {
  it('decodes F16 exactly: normals, subnormals, extremes, signed zero, infinities, NaN', () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x3555, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const expected = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 0.333251953125, -0, Infinity, -Infinity, NaN];
    const file = parseSafetensors(rawFile({ h: { dtype: 'F16', shape: [11], data_offsets: [0, 22] } }, u16Bytes(halves)), SOURCE);
    const data = Array.from(file.tensors.get('h')!.data);
    data.forEach((v, i) => expect(Object.is(v, expected[i]), `half 0x${halves[i].toString(16)} -> ${v}`).toBe(true));
  });

  it('decodes BF16 exactly', () => {
    const halves = [0x3f80, 0xc049, 0x7f7f, 0x0001, 0x8000, 0x7f80, 0xff80, 0x7fc0];
    const expected = [1, -3.140625, 3.3895313892515355e38, 2 ** -133, -0, Infinity, -Infinity, NaN];
    const file = parseSafetensors(rawFile({ b: { dtype: 'BF16', shape: [8], data_offsets: [0, 16] } }, u16Bytes(halves)), SOURCE);
    const data = Array.from(file.tensors.get('b')!.data);
    data.forEach((v, i) => expect(Object.is(v, expected[i]), `bf16 0x${halves[i].toString(16)} -> ${v}`).toBe(true));
  });

  it('widens F64, integers, BOOL and float8 to f32, including tensors at unaligned offsets', () => {
    const data = new Uint8Array(1 + 16 + 16 + 3 + 2 + 2);
    const view = new DataView(data.buffer);
    data[0] = 200; // U8 at 0, which leaves every later tensor unaligned
    view.setFloat64(1, 0.1, true);
    view.setFloat64(9, -1e300, true);
    view.setBigInt64(17, 7n, true);
    view.setBigInt64(25, -3n, true);
    data.set([0, 1, 2], 33); // BOOL
    data.set([0x3c, 0xc0], 36); // F8_E5M2: 1, -2
    data.set([0x38, 0x7f], 38); // F8_E4M3: 1, NaN
    const header = {
      u: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
      d: { dtype: 'F64', shape: [2], data_offsets: [1, 17] },
      n: { dtype: 'I64', shape: [2], data_offsets: [17, 33] },
      m: { dtype: 'BOOL', shape: [3], data_offsets: [33, 36] },
      e5: { dtype: 'F8_E5M2', shape: [2], data_offsets: [36, 38] },
      e4: { dtype: 'F8_E4M3', shape: [2], data_offsets: [38, 40] },
    };
    const { tensors } = parseSafetensors(rawFile(header, data), SOURCE);
    expect(Array.from(tensors.get('u')!.data)).toEqual([200]);
    expect(Array.from(tensors.get('d')!.data)).toEqual([Math.fround(0.1), -Infinity]);
    expect(Array.from(tensors.get('n')!.data)).toEqual([7, -3]);
    expect(Array.from(tensors.get('m')!.data)).toEqual([0, 1, 1]);
    expect(Array.from(tensors.get('e5')!.data)).toEqual([1, -2]);
    expect(Array.from(tensors.get('e4')!.data)).toEqual([1, NaN]);
  });

  it('reads F32 at an unaligned offset of an unaligned view', () => {
    const data = new Uint8Array(5);
    new DataView(data.buffer).setFloat32(1, 1.5, true);
    const file = rawFile({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'F32', shape: [1], data_offsets: [1, 5] } }, data);
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    expect(Array.from(parseSafetensors(shifted.subarray(3), SOURCE).tensors.get('b')!.data)).toEqual([1.5]);
  });
});

describe('rejections', () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('a file too short for the length field', () => {
    expectRejected(new Uint8Array(5), 'model.safetensors: file is 5 bytes, too short for the 8-byte header length of a safetensors file');
  });

  it('a header length past the end of the file', () => {
    expectRejected(rawFile('{}', 0, 1000), 'model.safetensors: header length 1000 runs past the end of the 10-byte file');
  });

  it('a header length over 100 MB, without allocating it', () => {
    expectRejected(rawFile('{}', 0, MAX_HEADER_BYTES + 1), `model.safetensors: header length ${MAX_HEADER_BYTES + 1} exceeds the 100000000-byte limit`);
    expectRejected(rawFile('{}', 0, 2 ** 62), /header length \d+ exceeds the 100000000-byte limit/);
  });

  it('bad UTF-8 in the header', () => {
    const header = new Uint8Array([0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d]); // {"a\xff":1}, 0xff is never UTF-8
    expectRejected(rawBytesFile(header), 'model.safetensors: header is not valid UTF-8');
  });

  it('bad JSON, and a header that is not an object', () => {
    expectRejected(rawFile('{"a": {"dtype": "F32",}}'), /^model\.safetensors: header is not valid JSON \(/);
    expectRejected(rawFile('[1, 2]'), /header does not start with '\{'/);
    expectRejected(rawFile(''), /header does not start with '\{'/);
  });

  it('duplicate tensor names, which JSON.parse would silently merge', () => {
    const header = `{"fc.weight": ${JSON.stringify(f32(0, 4))}, "fc.w\\u0065ight": ${JSON.stringify(f32(4, 8))}}`;
    expectRejected(rawFile(header, 8), 'model.safetensors: duplicate tensor name "fc.weight" in the header');
    expectRejected(rawFile('{"__metadata__": {"a": "1", "a": "2"}}'), 'model.safetensors: duplicate key "a" in the header');
  });

  it('keys that only look alike inside strings are not duplicates', () => {
    const header = { 'a"b': f32(0, 4), __metadata__: { x: '"a\\"b": {', y: 'a"b' } };
    expect(parseSafetensors(rawFile(header, 4), SOURCE).tensors.has('a"b')).toBe(true);
  });

  it('overlapping offsets', () => {
    expectRejected(
      rawFile({ a: f32(0, 8), b: f32(4, 12) }, 12),
      'model.safetensors: tensor "b": data_offsets [4, 12] overlap tensor "a", which ends at 8',
    );
  });

  it('gaps between tensors, before the first, and after the last', () => {
    expectRejected(rawFile({ a: f32(0, 4), b: f32(8, 12) }, 12), 'model.safetensors: tensor "b": data_offsets [8, 12] leave bytes 4..8 of the data region unused');
    expectRejected(rawFile({ a: f32(4, 8) }, 8), /tensor "a": data_offsets \[4, 8\] leave bytes 0\.\.4/);
    expectRejected(rawFile({ a: f32(0, 4) }, 6), 'model.safetensors: the tensors cover 4 bytes but the data region holds 6: 2 trailing bytes belong to no tensor');
  });

  it('offsets past the end of the data', () => {
    expectRejected(rawFile({ a: f32(0, 4), b: f32(4, 12) }, 8), 'model.safetensors: tensor "b": data_offsets [4, 12] run past the end of the 8-byte data region');
  });

  it('a shape x dtype size that does not match the offsets', () => {
    expectRejected(
      rawFile({ 'fc.weight': f32(0, 100, [4, 360000]) }, 100),
      'model.safetensors: tensor "fc.weight": data_offsets [0, 100] hold 100 bytes but shape [4, 360000] x F32 needs 5760000',
    );
  });

  it('malformed entries', () => {
    expectRejected(rawFile({ a: { dtype: 'F7', shape: [1], data_offsets: [0, 4] } }, 4), /tensor "a": unknown dtype "F7" \(known: F64, F32/);
    expectRejected(rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /tensor "a": shape must be an array of non-negative integers, got \[-1\]/);
    expectRejected(rawFile({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /shape must be an array of non-negative integers/);
    expectRejected(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /tensor "a": data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[4,0\]/);
    expectRejected(rawFile({ a: { dtype: 'F32', shape: [1] } }, 4), /tensor "a": data_offsets must be/);
    expectRejected(rawFile({ a: [1, 2] }, 4), /tensor "a": entry must be an object/);
    expectRejected(rawFile({ __metadata__: { n: 1 } }), 'model.safetensors: "__metadata__" must map strings to strings, but "n" holds 1');
  });

  it('a byte-order mark before the header', () => {
    expectRejected(rawBytesFile(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), /header does not start with '\{'/);
  });
});

describe('readWeights on safetensors', () => {
  it('recognises a header whose length starts with byte 0x80, like a pickle', () => {
    const header = JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }).padEnd(128, ' ');
    const bytes = rawFile(header, new Uint8Array(new Float32Array([2.5]).buffer));
    expect(bytes[0]).toBe(0x80);
    const file = readWeights(bytes, SOURCE);
    expect(file.format).toBe('safetensors');
    expect(Array.from(file.tensors.get('a')!.data)).toEqual([2.5]);
  });
});

describe('mutated files', () => {
  it('either parse or throw WeightFileError, never anything else', () => {
    const valid = serializeSafetensors(
      [
        ['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
        ['b', { shape: [1], data: Float32Array.from([7]) }],
        ['c', { shape: [0], data: new Float32Array(0) }],
      ],
      { k: 'v' },
    );
    const headerEnd = valid.length - 28;
    const next = seededRandom(1234);
    let parsed = 0;
    for (let i = 0; i < 400; i++) {
      const bytes = mutate(valid, next, headerEnd);
      if (parsesOrRefuses(() => parseSafetensors(bytes, SOURCE), `mutation ${i}`)) parsed++;
      parsesOrRefuses(() => readWeights(bytes, SOURCE), `mutation ${i} via readWeights`);
    }
    expect(parsed).toBeGreaterThan(0);
    expect(parsed).toBeLessThan(400);
  });
});
