/**
 * Bad input through the real command line: every refusal names the file, key or flag at fault, exits with 1 (2 for
 * flag and usage errors) without a stack trace, and leaves nothing behind (no new file, existing ones unchanged).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isKnownError, KNOWN_ERRORS, reportError, UsageError } from '../../src/cli/errors.js';
import { generateSynthetic } from '../../src/data/synth.js';
import { encodeGrayPng } from '../../src/io/png_write.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { expectRefused, isRoot, NOBODY, REPO, runCli, snapshot } from './cli.js';

let root: string;
let data: string;
let checkpoint: string;
const at = (...parts: string[]) => join(root, ...parts);
const fixturePth = (name: string) => join(REPO, 'test/fixtures/pth', name);

/** A safetensors file from header JSON text and data bytes, with any length field. */
function safetensors(header: string, dataBytes = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes.length);
  new DataView(out.buffer).setUint32(0, headerLength ?? json.length, true);
  out.set(json, 8);
  out.set(dataBytes, 8 + json.length);
  return out;
}

const f32 = (name: string, begin: number, end: number, shape = [(end - begin) / 4]) =>
  `${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cnnx-bad-input-'));
  chmodSync(root, 0o755); // the unprivileged user of the permission tests must reach into it
  data = at('data');
  await generateSynthetic({ outDir: data, perClass: 4, size: 32, seed: 1 });
  checkpoint = at('model.safetensors');
  const trained = await runCli(['train', '--data', data, '--input-size', '32', '--epochs', '1', '--batch-size', '4', '--out', checkpoint, '--quiet']);
  expect(trained.code, trained.stderr).toBe(0);

  // Images: a valid PNG and JPEG, then broken ones.
  mkdirSync(at('img'));
  const png = encodeGrayPng({ width: 32, height: 32, data: Array.from({ length: 1024 }, (_, i) => (i * 7) % 256) });
  const withPng = (name: string, edit: (b: Uint8Array, v: DataView) => void) => {
    const b = Uint8Array.from(png);
    edit(b, new DataView(b.buffer));
    writeFileSync(at('img', name), b);
  };
  writeFileSync(at('img', 'ok.png'), png);
  writeFileSync(at('img', 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  withPng('corrupt.png', (b) => b.fill(0x55, 45, 70)); // inside the compressed pixel data
  withPng('zero.png', (_, v) => v.setUint32(16, 0));
  withPng('huge.png', (_, v) => (v.setUint32(16, 200_000), v.setUint32(20, 200_000)));
  withPng('depth3.png', (b) => (b[24] = 3));
  writeFileSync(at('img', 'text.png'), 'patient 17, chest PA, see attached\n');
  writeFileSync(at('img', 'text.jpg'), 'not a jpeg either\n');
  writeFileSync(at('img', 'empty.png'), new Uint8Array(0));
  const jpg = jpeg.encode({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 4).fill(120) }, 90).data;
  writeFileSync(at('img', 'truncated.jpg'), jpg.subarray(0, jpg.length - 200));
  const j12 = Uint8Array.from(jpg);
  const sof = j12.findIndex((x, i) => x === 0xff && j12[i + 1] === 0xc0);
  j12[sof + 4] = 12; // 12-bit samples: valid JPEG, not supported
  writeFileSync(at('img', 'depth12.jpg'), j12);
  mkdirSync(at('empty-folder'));

  // A data folder whose class folder links back to its parent.
  mkdirSync(at('loop', 'normal'), { recursive: true });
  copyFileSync(at('img', 'ok.png'), at('loop', 'normal', 'a.png'));
  symlinkSync('..', at('loop', 'normal', 'back'));

  // A data set with a text file posing as an image among the training images.
  await generateSynthetic({ outDir: at('bad-data'), perClass: 4, size: 32, seed: 2 });
  writeFileSync(at('bad-data', 'train', 'covid', '0001.png'), 'this is a text file\n');

  // Split files over data/train (0000.png ... under class folders) for each rule.
  const split = (name: string, lines: string[]) => writeFileSync(at(name), `${lines.join('\n')}\n`);
  split('split-label.txt', ['p1 normal/0000.png normal src', 'p2 covid/0000.png pneumonitis src']);
  split('split-missing.txt', ['p1 normal/0000.png normal src', 'p2 covid/0099.png covid src']);
  split('split-duplicate.txt', ['p1 normal/0000.png normal src', 'p2 covid/0000.png covid src', 'p3 normal/0000.png normal src']);
  split('split-escape.txt', ['p1 normal/0000.png normal src', 'p2 ../../../etc/passwd covid src']);
  split('split-absolute.txt', ['p1 /etc/passwd normal src']);

  // Weight files breaking each safetensors rule.
  mkdirSync(at('w'));
  const w = (name: string, bytes: Uint8Array) => writeFileSync(at('w', name), bytes);
  w('short.safetensors', new Uint8Array(5));
  const hugeLength = new Uint8Array(16);
  new DataView(hugeLength.buffer).setUint32(4, 0x10, true); // 2^36: refused before any allocation
  w('huge-header.safetensors', hugeLength);
  w('past-end.safetensors', safetensors('{}', new Uint8Array(0), 4096));
  w('not-utf8.safetensors', safetensors('{"a":  1}').map((x, i) => (i === 11 ? 0xff : x)));
  w('not-object.safetensors', safetensors('["a"]'));
  w('bad-json.safetensors', safetensors('{"a": '));
  w('duplicate.safetensors', safetensors(`{${f32('a', 0, 4)},${f32('a', 0, 4)}}`, new Uint8Array(4)));
  w('overlap.safetensors', safetensors(`{${f32('a', 0, 4)},${f32('b', 0, 4)}}`, new Uint8Array(4)));
  w('gap.safetensors', safetensors(`{${f32('a', 4, 8)}}`, new Uint8Array(8)));
  w('trailing.safetensors', safetensors(`{${f32('a', 0, 4)}}`, new Uint8Array(8)));
  w('past-data.safetensors', safetensors(`{${f32('a', 0, 8)}}`, new Uint8Array(4)));
  w('size.safetensors', safetensors(`{${f32('a', 0, 4, [2])}}`, new Uint8Array(4)));
  w('dtype.safetensors', safetensors('{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)));
  w('entry.safetensors', safetensors('{"a":[0,4]}'));
  w('metadata.safetensors', safetensors('{"__metadata__":{"epoch":3}}'));
  w('checkpoint-meta.safetensors', safetensors('{"__metadata__":{"format":"cnnx-checkpoint-1","model":"cnnx","model_config":"{oops"}}'));
  w('truncated.safetensors', readFileSync(checkpoint).subarray(0, 2000));

  // Plain weights with two keys missing, one unexpected and one mis-shaped.
  const state = new Map([...parseSafetensors(readFileSync(checkpoint), checkpoint).tensors].filter(([k]) => !k.startsWith('optimizer.')));
  state.delete('branches.0.conv.weight');
  state.delete('branches.1.bn.running_mean');
  state.set('head.extra', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
  state.set('branches.2.conv.bias', { dtype: 'F32', shape: [17], data: new Float32Array(17) });
  w('misfit.safetensors', serializeSafetensors(state));
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.concurrent('images', () => {
  const cases: [string, RegExp][] = [
    ['truncated.png', /corrupt or truncated PNG/],
    ['corrupt.png', /corrupt or truncated PNG/],
    ['text.png', /not a PNG or JPEG image.*looks like text/],
    ['text.jpg', /not a PNG or JPEG image/],
    ['empty.png', /empty file/],
    ['zero.png', /zero size/],
    ['huge.png', /200000x200000, over the limit of 100000000 pixels/],
    ['depth3.png', /unsupported PNG bit depth 3/],
    ['truncated.jpg', /corrupt or truncated JPEG/],
    ['depth12.jpg', /unsupported JPEG bit depth 12/],
  ];
  it.each(cases)('predict refuses %s, naming it', async (name, why) => {
    const file = at('img', name);
    expectRefused(await runCli(['predict', file, '--weights', checkpoint]), 1, [file, why]);
  });

  it('predict refuses a missing file, an empty folder and a symbolic link loop', async () => {
    expectRefused(await runCli(['predict', at('img', 'nowhere.png'), '--weights', checkpoint]), 1, [at('img', 'nowhere.png'), 'no such file']);
    expectRefused(await runCli(['predict', at('empty-folder'), '--weights', checkpoint]), 1, [at('empty-folder'), 'no .png or .jpg']);
    expectRefused(await runCli(['predict', at('loop'), '--weights', checkpoint]), 1, [at('loop', 'normal', 'back'), 'symbolic link loop']);
  });

  it('predict refuses an unreadable file (as root, run as nobody: root reads it anyway)', async () => {
    const file = at('img', 'unreadable.png');
    copyFileSync(at('img', 'ok.png'), file);
    chmodSync(file, 0o000);
    const result = await runCli(['predict', file, '--weights', checkpoint], isRoot ? { uid: NOBODY } : {});
    expectRefused(result, 1, [file, 'EACCES']);
  });
});

describe.concurrent('data sets and split files', () => {
  const out = () => at('never', 'model.safetensors');
  const train = (...args: string[]) =>
    runCli(['train', '--input-size', '32', '--epochs', '1', '--batch-size', '4', '--quiet', '--out', out(), ...args]);

  it('refuses an empty folder, a missing folder and a symbolic link loop', async () => {
    expectRefused(await train('--data', at('empty-folder')), 1, [at('empty-folder'), 'no class folders']);
    expectRefused(await train('--data', at('nowhere')), 1, [at('nowhere'), 'does not exist']);
    expectRefused(await train('--data', at('loop')), 1, ['symbolic link loop']);
    expect(existsSync(at('never'))).toBe(false);
  });

  const splitCases: [string, (string | RegExp)[]][] = [
    ['split-label.txt', [':2', 'unknown label "pneumonitis"']],
    ['split-missing.txt', [':2', 'covid/0099.png']],
    ['split-duplicate.txt', [':3', 'duplicate entry "normal/0000.png"', 'line 1']],
    ['split-escape.txt', [':2', 'escapes the image root']],
    ['split-absolute.txt', [':1', 'is absolute']],
  ];
  it.each(splitCases)('refuses %s, naming the file and line', async (name, mentions) => {
    expectRefused(await train('--data', data, '--split-train', at(name)), 1, [at(name), ...mentions]);
    expect(existsSync(at('never'))).toBe(false);
  });
});

describe.concurrent('weight files', () => {
  const cases: [string, RegExp][] = [
    ['short.safetensors', /too short for the 8-byte header length/],
    ['huge-header.safetensors', /header length \d+ exceeds the 100000000-byte limit/],
    ['past-end.safetensors', /header length 4096 runs past the end/],
    ['not-utf8.safetensors', /not valid UTF-8/],
    ['not-object.safetensors', /does not start with '\{'/],
    ['bad-json.safetensors', /not valid JSON/],
    ['duplicate.safetensors', /duplicate tensor name "a"/],
    ['overlap.safetensors', /tensor "b": data_offsets \[0, 4\] overlap tensor "a"/],
    ['gap.safetensors', /leave bytes 0..4 of the data region unused/],
    ['trailing.safetensors', /4 trailing bytes belong to no tensor/],
    ['past-data.safetensors', /run past the end of the 4-byte data region/],
    ['size.safetensors', /shape \[2\] x F32 needs 8/],
    ['dtype.safetensors', /unknown dtype "Q4"/],
    ['entry.safetensors', /tensor "a": entry must be an object/],
    ['metadata.safetensors', /"__metadata__" must map strings to strings, but "epoch" holds 3/],
    ['checkpoint-meta.safetensors', /metadata "model_config" is not valid JSON/],
    ['truncated.safetensors', /runs past the end of the 2000-byte file/],
  ];
  it.each(cases)('predict refuses %s, naming the file and the rule', async (name, why) => {
    const file = at('w', name);
    expectRefused(await runCli(['predict', at('img', 'ok.png'), '--weights', file]), 1, [file, why]);
  });

  it.each(['malicious_zip.pth', 'malicious_legacy.pth'])('refuses %s, a pickle that asks to run a command', async (name) => {
    const file = fixturePth(name);
    expectRefused(await runCli(['predict', at('img', 'ok.png'), '--weights', file]), 1, [file, 'refusing to load this file', 'system']);
  });

  it('lists every missing, unexpected and mis-shaped key at once', async () => {
    const file = at('w', 'misfit.safetensors');
    expectRefused(await runCli(['predict', at('img', 'ok.png'), '--weights', file]), 1, [
      file,
      'missing keys (2)',
      'branches.0.conv.weight [16, 1, 3, 3]',
      'branches.1.bn.running_mean [16]',
      'unexpected keys (1)',
      'head.extra [2]',
      'mis-shaped keys (1)',
      'branches.2.conv.bias: expected [16], got [17]',
    ]);
  });

  it('refuses a missing weights file, a folder, and a bad --init before training', async () => {
    expectRefused(await runCli(['predict', at('img', 'ok.png'), '--weights', at('w', 'none.safetensors')]), 1, [at('w', 'none.safetensors'), 'ENOENT']);
    expectRefused(await runCli(['predict', at('img', 'ok.png'), '--weights', at('w')]), 1, [at('w'), 'is a folder']);
    const out = at('never', 'model.safetensors');
    const init = fixturePth('malicious_zip.pth');
    expectRefused(await runCli(['train', '--data', data, '--input-size', '32', '--out', out, '--init', init]), 1, [init, 'refusing']);
    expect(existsSync(at('never'))).toBe(false);
  });
});

describe.concurrent('flags', () => {
  const out = () => at('never', 'model.safetensors');
  const train = (...args: string[]) => runCli(['train', '--data', data, '--input-size', '32', '--out', out(), '--quiet', ...args]);
  const cases: [string, string[], (string | RegExp)[]][] = [
    ['an unknown model', ['--model', 'resnet9000'], ['unknown model "resnet9000"', 'resnet18']],
    ['zero epochs', ['--epochs', '0'], ['--epochs', 'got 0']],
    ['a fractional epoch count', ['--epochs', '1.5'], ['--epochs', 'got 1.5']],
    ['a non-number', ['--epochs', 'many'], ['--epochs', 'got NaN']],
    ['a negative batch size', ['--batch-size', '-1'], ['--batch-size', 'got -1']],
    ['a zero learning rate', ['--lr', '0'], ['--lr', 'got 0']],
    ['a negative seed', ['--seed', '-3'], ['--seed', 'got -3']],
    ['an unknown flag', ['--epoch', '3'], ['Unknown argument: epoch']],
    ['a repeated flag', ['--epochs', '5', '--epochs', '1'], ['--epochs is given more than once']],
    ['a choice out of range', ['--scenario', '5'], ['scenario', '5']],
    ['a fraction out of range', ['--val-split', '1.5'], ['--val-split', '1.5']],
    ['a negative decode worker count', ['--decode-workers', '-2'], ['--decode-workers', 'got -2']],
    ['a fractional decode worker count', ['--decode-workers', '0.5'], ['--decode-workers', 'got 0.5']],
  ];
  it.each(cases)('train refuses %s', async (_, args, mentions) => {
    expectRefused(await train(...args), 2, mentions);
    expect(existsSync(at('never'))).toBe(false);
  });

  it('train refuses input sizes of 0, too small for the model, and over the image limit', async () => {
    expectRefused(await runCli(['train', '--data', data, '--out', out(), '--input-size', '0']), 2, ['--input-size', 'got 0']);
    expectRefused(await runCli(['train', '--data', data, '--out', out(), '--input-size', '1']), 2, ['--input-size 1', 'too small']);
    expectRefused(await runCli(['train', '--data', data, '--out', out(), '--input-size', '20000']), 2, ['--input-size 20000', 'MAX_IMAGE_PIXELS']);
    expect(existsSync(at('never'))).toBe(false);
  });

  it('refuses a missing required flag and a missing command', async () => {
    expectRefused(await runCli(['train', '--out', out()]), 2, ['Missing required argument: data']);
    expectRefused(await runCli([]), 2, ['name a command']);
    expectRefused(await runCli(['predict', at('img', 'ok.png'), '--weights', checkpoint, '--batch-size', '0']), 2, ['--batch-size', 'got 0']);
    expectRefused(await runCli(['eval', '--data', data, '--weights', checkpoint, '--batch-size', '-2']), 2, ['--batch-size', 'got -2']);
  });

  it('cam refuses a class index out of range, naming --class and the classes', async () => {
    const result = await runCli(['cam', at('img', 'ok.png'), '--weights', checkpoint, '--class', '9', '--out', at('never', 'cam')]);
    expectRefused(result, 2, ['--class 9', 'out of range', '4 classes']);
    expect(existsSync(at('never'))).toBe(false);
  });

  it('data synth refuses a folder that is not empty and sizes out of range', async () => {
    const before = snapshot(data);
    expectRefused(await runCli(['data', 'synth', '--out', data, '--per-class', '2', '--size', '32']), 2, [data, 'not empty']);
    expect(snapshot(data)).toEqual(before);
    expectRefused(await runCli(['data', 'synth', '--out', at('never'), '--size', '31']), 2, ['--size', 'got 31']);
    expectRefused(await runCli(['data', 'synth', '--out', at('never'), '--train-fraction', '0']), 2, ['--train-fraction', 'got 0']);
    expectRefused(await runCli(['data', 'synth', '--out', at('never'), '--workers', '-1']), 2, ['--workers', 'got -1']);
    expect(existsSync(at('never'))).toBe(false);
  });
});

describe.concurrent('output paths, refused before any work and without a trace', () => {
  /** A fresh folder holding one regular file, "a-file". */
  const place = (name: string): string => {
    const dir = at('paths', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a-file'), 'a regular file\n');
    return dir;
  };
  const train = (...args: string[]) => runCli(['train', '--data', data, '--input-size', '32', '--epochs', '1', '--quiet', ...args]);

  it('refuses a checkpoint or CAM folder under a regular file', async () => {
    const dir = place('under-file');
    const before = snapshot(dir);
    const out = join(dir, 'a-file', 'sub', 'model.safetensors');
    expectRefused(await train('--out', out), 2, ['--out', out, `${join(dir, 'a-file')} is a file`]);
    expectRefused(await runCli(['cam', at('img', 'ok.png'), '--weights', checkpoint, '--out', join(dir, 'a-file', 'cam')]), 2, ['--out', join(dir, 'a-file')]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a checkpoint path that is a folder, and a run folder that is a file', async () => {
    const dir = place('wrong-kind');
    const before = snapshot(dir);
    expectRefused(await train('--out', dir), 2, ['--out', dir, 'is a folder']);
    expectRefused(await train('--out', join(dir, 'm.safetensors'), '--run-dir', join(dir, 'a-file')), 2, ['--run-dir', join(dir, 'a-file'), 'is a file']);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a read-only folder (as root, run as nobody: root writes anyway)', async () => {
    const dir = place('read-only');
    if (!isRoot) chmodSync(dir, 0o555);
    const before = snapshot(dir);
    const out = join(dir, 'deeper', 'model.safetensors');
    const result = await runCli(['train', '--data', data, '--input-size', '32', '--out', out], isRoot ? { uid: NOBODY } : {});
    expectRefused(result, 2, ['--out', out, 'EACCES']);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe.concurrent('nothing is written when a run fails on bad data', () => {
  it('leaves no checkpoint, run folder or parent folder behind', async () => {
    const out = at('fresh', 'model.safetensors');
    const bad = at('bad-data', 'train', 'covid', '0001.png');
    const result = await runCli(['train', '--data', at('bad-data'), '--input-size', '32', '--epochs', '2', '--batch-size', '4', '--out', out, '--quiet']);
    expectRefused(result, 1, [bad, 'not a PNG or JPEG', 'no checkpoint was written']);
    expect(existsSync(at('fresh'))).toBe(false);
  });

  it('leaves an existing checkpoint and run folder byte for byte as they were', async () => {
    mkdirSync(at('existing'));
    const out = at('existing', 'model.safetensors');
    copyFileSync(checkpoint, out);
    const before = snapshot(at('existing'));
    const result = await runCli(['train', '--data', at('bad-data'), '--input-size', '32', '--epochs', '2', '--batch-size', '4', '--out', out, '--quiet']);
    expectRefused(result, 1, ['0001.png', 'not a PNG or JPEG']);
    expect(snapshot(at('existing'))).toEqual(before);
  });

  it('keeps the last checkpoint when an image goes bad in a resumed run', async () => {
    const dir = at('resumed');
    await generateSynthetic({ outDir: join(dir, 'data'), perClass: 4, size: 32, seed: 3 });
    const out = join(dir, 'model.safetensors');
    const args = ['train', '--data', join(dir, 'data'), '--input-size', '32', '--batch-size', '4', '--out', out, '--quiet'];
    expect((await runCli([...args, '--epochs', '1'])).code).toBe(0);
    const bad = join(dir, 'data', 'test', 'normal', '0000.png');
    writeFileSync(bad, readFileSync(bad).subarray(0, 60));
    const before = snapshot(dir);
    const result = await runCli([...args, '--epochs', '3', '--resume']);
    expectRefused(result, 1, [bad, 'truncated', `the checkpoint ${out} (after epoch 1) was left as it was; continue with --resume`]);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('error reporting', () => {
  function report(error: unknown, verbose = false): { code: number; text: string } {
    let text = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      text += String(chunk);
      return true;
    });
    try {
      return { code: reportError(error, verbose), text };
    } finally {
      spy.mockRestore();
    }
  }

  it('knows every error class the project defines, and prints them alone', async () => {
    const { readdirSync } = await import('node:fs');
    const sources: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) sources.push(join(dir, e.name));
      }
    };
    walk(join(REPO, 'src'));
    const defined: string[] = [];
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/export class (\w+Error) extends (\w+)/g)) {
        // CorruptDeflateError is internal to the zip reader, which turns it into a WeightFileError.
        if (m[1] === 'CorruptDeflateError') continue;
        const mod = (await import(file)) as Record<string, new (...args: never[]) => Error>;
        const instance = Object.assign(Object.create(mod[m[1]!]!.prototype) as Error, { message: `a ${m[1]}` });
        defined.push(m[1]!);
        expect(isKnownError(instance), `${m[1]} in ${file} is missing from KNOWN_ERRORS in src/cli/errors.ts`).toBe(true);
        const { text: printed } = report(instance);
        expect(printed).toBe(`cnnx: a ${m[1]}\n`);
      }
    }
    expect(defined.length).toBeGreaterThanOrEqual(KNOWN_ERRORS.length);
  });

  it('prints an unexpected error with the --verbose hint, and the stack with --verbose', () => {
    const unexpected = report(new TypeError('x is undefined'));
    expect(unexpected.code).toBe(1);
    expect(unexpected.text).toBe('cnnx: x is undefined\n(run again with --verbose to see where it happened)\n');
    expect(report(new SyntaxError('Unexpected token')).text).toContain('--verbose');
    expect(report(new UsageError('--epochs must be a positive integer')).code).toBe(2);
    expect(report(new TypeError('x is undefined'), true).text).toMatch(/^\s+at /m);
  });

  it('shows the stack of a known error through the CLI only with --verbose', async () => {
    const result = await runCli(['predict', at('img', 'text.png'), '--weights', checkpoint, '--verbose']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\s+at /m);
  });
});
