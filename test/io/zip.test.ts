import { describe, expect, it } from 'vitest';
import { constants, deflateRawSync } from 'node:zlib';
import { inflateRaw } from '../../src/io/inflate.js';
import { WeightFileError } from '../../src/io/weight_file_error.js';
import { openZip } from '../../src/io/zip.js';
import { mutate, parsesOrRefuses, seededRandom } from './mutations.js';
import { writeZip } from './zip_writer.js';

/** Bytes from random to highly repetitive: exercises literals, long matches, and every block type. */
function sample(length: number, alphabet: number, seed: number): Uint8Array {
  const next = seededRandom(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = next() < 0.3 && i > 300 ? bytes[i - 1 - Math.floor(next() * 300)] : Math.floor(next() * alphabet);
  return bytes;
}

describe('inflateRaw', () => {
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['random', sample(5000, 256, 1)],
    ['text-like', sample(70000, 12, 2)],
    ['one byte repeated', new Uint8Array(100000).fill(7)],
  ];
  for (const [name, data] of cases) {
    it(`matches zlib for ${name} data at every strategy`, () => {
      for (const options of [{ level: 0 }, { level: 1 }, { level: 9 }, { strategy: constants.Z_FIXED }, { strategy: constants.Z_HUFFMAN_ONLY }]) {
        const compressed = new Uint8Array(deflateRawSync(data, options));
        // Buffer.equals: vitest's deep equality is slow on large typed arrays.
        expect(Buffer.from(inflateRaw(compressed, data.length)).equals(data), JSON.stringify(options)).toBe(true);
      }
    });
  }

  it('refuses output that disagrees with the declared size', () => {
    const data = sample(1000, 20, 3);
    const compressed = new Uint8Array(deflateRawSync(data));
    expect(() => inflateRaw(compressed, 999)).toThrow(/more than the declared 999 bytes/);
    expect(() => inflateRaw(compressed, 1001)).toThrow(/inflates to 1000 bytes, not the declared 1001/);
    expect(() => inflateRaw(compressed.subarray(0, 10), 1000)).toThrow(/ends early|Huffman|distance/);
  });
});

describe('openZip', () => {
  const files = [
    { name: 'archive/data.pkl', data: sample(300, 40, 4) },
    { name: 'archive/data/0', data: sample(64, 256, 5), deflate: true },
    { name: 'archive/version', data: new TextEncoder().encode('3\n') },
  ];

  for (const zip64 of [false, true]) {
    it(`reads stored and deflated entries${zip64 ? ' from a zip64 archive' : ''}, skipping local padding`, () => {
      const archive = openZip(writeZip(files, { zip64, localPadding: 37 }), 'a.pth');
      expect([...archive.entries.keys()]).toEqual(files.map((f) => f.name));
      for (const { name, data } of files) expect(archive.read(name)).toEqual(data);
    });
  }

  it('returns stored entries as views of the input, not copies', () => {
    const bytes = writeZip(files);
    const entry = openZip(bytes, 'a.pth').read('archive/data.pkl');
    expect(entry.buffer).toBe(bytes.buffer);
  });

  it('finds the end record behind an archive comment', () => {
    const bytes = writeZip(files);
    const commented = new Uint8Array(bytes.length + 5);
    commented.set(bytes);
    new DataView(commented.buffer).setUint16(bytes.length - 2, 5, true);
    expect(openZip(commented, 'a.pth').read('archive/version')).toEqual(files[2].data);
  });

  it('names the file and the problem when it refuses', () => {
    expect(() => openZip(new Uint8Array(100), 'a.pth')).toThrow(
      new WeightFileError('a.pth', 'zip archive: no end-of-central-directory record (not a zip archive, or truncated)'),
    );
    expect(() => openZip(writeZip(files), 'a.pth').read('archive/missing')).toThrow('a.pth: zip archive: no entry "archive/missing"');
  });

  it('either reads or refuses mutated archives, never anything else', () => {
    const valid = writeZip(files, { zip64: true });
    const next = seededRandom(99);
    for (let i = 0; i < 300; i++) {
      const bytes = mutate(valid, next, valid.length);
      parsesOrRefuses(() => {
        const archive = openZip(bytes, 'a.pth');
        for (const name of archive.entries.keys()) archive.read(name);
      }, `mutation ${i}`);
    }
  });
});
