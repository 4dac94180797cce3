import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parsePth } from '../../src/io/pth.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { WeightFileError } from '../../src/io/weight_file_error.js';
import type { WeightMap } from '../../src/io/weight_tensor.js';
import { readWeights } from '../../src/io/weights.js';
import { openZip } from '../../src/io/zip.js';
import { mutate, parsesOrRefuses, seededRandom } from './mutations.js';
import { writeZip } from './zip_writer.js';

// Fixtures and the values they hold come from test/fixtures/pth/make_pth_fixtures.py (PyTorch 1.13).
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/pth/${name}`, import.meta.url)));
const expected = parseSafetensors(fixture('tiny_expected.safetensors'), 'tiny_expected.safetensors').tensors;

function expectSameWeights(actual: WeightMap): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, { shape, data }] of expected) {
    const read = actual.get(name)!;
    expect(read.shape, name).toEqual(shape);
    expect(Array.from(read.data), name).toEqual(Array.from(data));
  }
}

function refusal(parse: () => unknown): WeightFileError {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightFileError);
    return e as WeightFileError;
  }
  throw new Error('expected a WeightFileError');
}

/** A bare pickle, as a legacy-format file would start: PROTO 2, then `body`, then STOP. */
function pickle(...body: (number | string)[]): Uint8Array {
  const bytes = [0x80, 0x02];
  for (const part of body) {
    if (typeof part === 'number') bytes.push(part);
    else for (const c of part) bytes.push(c.charCodeAt(0));
  }
  return Uint8Array.from([...bytes, 0x2e]);
}

describe('parsePth on files PyTorch wrote', () => {
  it('reads the zip format: conv, batch norm, linear, float16, bfloat16, float64, strided views, empty and scalar', () => {
    expectSameWeights(parsePth(fixture('tiny_zip.pth'), 'tiny_zip.pth'));
  });

  it('reads the legacy format (_use_new_zipfile_serialization=False)', () => {
    expectSameWeights(parsePth(fixture('tiny_legacy.pth'), 'tiny_legacy.pth'));
  });

  it('reads a re-zipped checkpoint whose entries are deflated', () => {
    const archive = openZip(fixture('tiny_deflated.pth'), 'tiny_deflated.pth');
    expect([...archive.entries.values()].some((entry) => entry.method === 8)).toBe(true);
    expectSameWeights(parsePth(fixture('tiny_deflated.pth'), 'tiny_deflated.pth'));
  });

  it('reads the same archive rewritten as zip64', () => {
    const original = openZip(fixture('tiny_zip.pth'), 'tiny_zip.pth');
    const entries = [...original.entries.keys()].map((name) => ({ name, data: original.read(name) }));
    expectSameWeights(parsePth(writeZip(entries, { zip64: true, localPadding: 11 }), 'tiny_zip64.pth'));
  });

  it('unwraps a checkpoint dict {"epoch": 3, "state_dict": {...}}', () => {
    expectSameWeights(parsePth(fixture('tiny_checkpoint.pth'), 'tiny_checkpoint.pth'));
  });

  it('keeps int64 num_batches_tracked and the exact non-contiguous values', () => {
    const weights = parsePth(fixture('tiny_zip.pth'), 'tiny_zip.pth');
    expect(Array.from(weights.get('bn.num_batches_tracked')!.data)).toEqual([7]);
    expect(weights.get('bn.num_batches_tracked')!.shape).toEqual([]);
    // grid = arange(30).reshape(5, 6); grid[1:, ::2]
    expect(Array.from(weights.get('extra.strided')!.data)).toEqual([6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
    const fc = weights.get('fc.weight')!;
    const transposed = weights.get('extra.fc_weight_t')!;
    expect(transposed.shape).toEqual([4, 2]);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) expect(transposed.data[i * 2 + j]).toBe(fc.data[j * 4 + i]);
  });

  it('is what readWeights returns for both formats', () => {
    for (const name of ['tiny_zip.pth', 'tiny_legacy.pth']) {
      const file = readWeights(fixture(name), name);
      expect(file.format).toBe('pth');
      expect(file.metadata).toEqual({});
      expectSameWeights(file.tensors);
    }
  });
});

describe('hostile files', () => {
  for (const name of ['malicious_zip.pth', 'malicious_legacy.pth']) {
    it(`refuses ${name}, which would call os.system, naming the file and the call`, () => {
      const error = refusal(() => parsePth(fixture(name), name));
      expect(error.message).toBe(`${name}: refusing to load this file: it asks to call posix.system; only tensors and dicts are allowed`);
    });
  }

  it('refuses other globals by GLOBAL and STACK_GLOBAL', () => {
    const viaGlobal = pickle('cbuiltins\neval\n', 'X', 4, 0, 0, 0, '1+1', 0x85, 'R');
    expect(refusal(() => parsePth(viaGlobal, 'evil.pth')).message).toBe(
      'evil.pth: refusing to load this file: it asks to call builtins.eval; only tensors and dicts are allowed',
    );
    const viaStack = pickle(0x8c, 10, 'subprocess', 0x8c, 5, 'Popen', 0x93);
    expect(refusal(() => parsePth(viaStack, 'evil.pth')).message).toMatch(/it asks to call subprocess\.Popen;/);
    const loadFromBytes = pickle('ctorch.storage\n_load_from_bytes\n');
    expect(refusal(() => parsePth(loadFromBytes, 'evil.pth')).message).toMatch(/it asks to call torch\.storage\._load_from_bytes;/);
  });

  it('refuses to call an allowed global that is only a storage type', () => {
    const callsStorage = pickle('ctorch\nFloatStorage\n', ')', 'R');
    expect(refusal(() => parsePth(callsStorage, 'evil.pth')).message).toMatch(/it asks to call torch\.FloatStorage;/);
  });

  it('refuses opcodes outside the state-dict subset, such as INST', () => {
    const inst = pickle('(', 'iposix\nsystem\n');
    expect(refusal(() => parsePth(inst, 'evil.pth')).message).toMatch(/^evil\.pth: magic number: unsupported pickle opcode \(opcode 0x69 at byte 3\)$/);
  });

  it('refuses a pickle that is not a checkpoint, and bytes that are neither zip nor pickle', () => {
    expect(refusal(() => parsePth(pickle('K', 1), 'x.pth')).message).toBe("x.pth: not a PyTorch checkpoint: the first pickle is not torch's magic number");
    expect(refusal(() => parsePth(new Uint8Array([1, 2, 3]), 'x.pth')).message).toBe('x.pth: not a PyTorch checkpoint: neither a zip archive nor a pickle');
  });
});

describe('damaged files', () => {
  for (const name of ['tiny_zip.pth', 'tiny_legacy.pth', 'tiny_deflated.pth']) {
    it(`${name}: every mutation either parses or throws WeightFileError`, () => {
      const valid = fixture(name);
      const next = seededRandom(name.length);
      let refused = 0;
      for (let i = 0; i < 300; i++) {
        if (!parsesOrRefuses(() => parsePth(mutate(valid, next, valid.length), name), `${name} mutation ${i}`)) refused++;
      }
      expect(refused).toBeGreaterThan(0);
    });
  }

  it('names the tensor whose strides reach past its storage', () => {
    const original = openZip(fixture('tiny_zip.pth'), 'tiny_zip.pth');
    const entries = [...original.entries.keys()].map((name) => ({ name, data: original.read(name).slice() }));
    const pickleEntry = entries.find((entry) => entry.name.endsWith('data.pkl'))!;
    // conv.weight's size tuple is (4, 3, 3, 3) with BININT1 opcodes; make it (5, 3, 3, 3).
    const text = Buffer.from(pickleEntry.data);
    const at = text.indexOf(Buffer.from([0x28, 0x4b, 4, 0x4b, 3, 0x4b, 3, 0x4b, 3, 0x74]));
    pickleEntry.data[at + 2] = 5;
    expect(refusal(() => parsePth(writeZip(entries), 'bad.pth')).message).toBe(
      'bad.pth: tensor "conv.weight": size [5, 3, 3, 3] with stride [27, 9, 3, 1] from offset 0 reaches element 134 of a 108-element storage',
    );
  });
});
