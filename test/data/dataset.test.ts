import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError, loadDataset, type DatasetSplit } from '../../src/data/dataset.js';

// loadDataset only lists files, so empty files with image names stand in for images.
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cnnx-dataset-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function touch(relativePath: string, content = ''): string {
  const path = join(root, relativePath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** n files named 000.png, 001.png, ... in a folder. */
function fill(folder: string, n: number, ext = 'png'): void {
  for (let i = 0; i < n; i++) touch(`${folder}/${String(i).padStart(3, '0')}.${ext}`);
}

function counts(split: DatasetSplit): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of split.items) out[split.classNames[item.label]] = (out[split.classNames[item.label]] ?? 0) + 1;
  return out;
}

function names(split: DatasetSplit): string[] {
  return split.items.map((item) => item.file.slice(root.length + 1));
}

describe('loadDataset: ImageFolder layouts', () => {
  it('reads DIR/<class>: sorted classes, sorted files, all training data', () => {
    fill('pets/dog', 2, 'jpg');
    fill('pets/cat', 3, 'PNG');
    touch('pets/cat/readme.txt');
    touch('pets/cat/.hidden.png');
    touch('pets/cat/sub/extra.jpeg');
    const { train, test } = loadDataset(join(root, 'pets'));
    expect(test).toBeUndefined();
    expect(train.classNames).toEqual(['cat', 'dog']);
    expect(names(train)).toEqual([
      'pets/cat/000.PNG',
      'pets/cat/001.PNG',
      'pets/cat/002.PNG',
      'pets/cat/sub/extra.jpeg',
      'pets/dog/000.jpg',
      'pets/dog/001.jpg',
    ]);
    expect(train.items.map((i) => i.label)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('reads DIR/train with DIR/test, or with DIR/val when there is no test folder', () => {
    fill('a/train/normal', 3);
    fill('a/train/covid', 2);
    fill('a/test/normal', 1);
    fill('a/test/covid', 1);
    const a = loadDataset(join(root, 'a'));
    expect(counts(a.train)).toEqual({ covid: 2, normal: 3 });
    expect(counts(a.test!)).toEqual({ covid: 1, normal: 1 });
    expect(a.test!.classNames).toEqual(a.train.classNames);

    fill('b/train/normal', 2);
    fill('b/val/normal', 1);
    expect(counts(loadDataset(join(root, 'b')).test!)).toEqual({ normal: 1 });
  });

  it('holds out a stratified, seeded valSplit', () => {
    fill('d/normal', 20);
    fill('d/covid', 10);
    const first = loadDataset(join(root, 'd'), { valSplit: 0.2, seed: 1 });
    expect(counts(first.train)).toEqual({ covid: 8, normal: 16 });
    expect(counts(first.test!)).toEqual({ covid: 2, normal: 4 });
    const all = [...names(first.train), ...names(first.test!)].sort();
    expect(new Set(all).size).toBe(30);
    expect(loadDataset(join(root, 'd'), { valSplit: 0.2, seed: 1 })).toEqual(first);
    expect(names(loadDataset(join(root, 'd'), { valSplit: 0.2, seed: 2 }).test!)).not.toEqual(names(first.test!));
  });

  it('matches class folders to canonical names case-insensitively, with aliases', () => {
    fill('x/NORMAL', 2);
    fill('x/Pneumonia_Bacterial', 2);
    fill('x/virus', 2);
    fill('x/COVID-19', 2);
    const plain = loadDataset(join(root, 'x'));
    expect(plain.train.classNames).toEqual(['bacterial', 'covid', 'normal', 'viral']);
    const scenario = loadDataset(join(root, 'x'), { scenario: 2 });
    expect(scenario.train.classNames).toEqual(['normal', 'bacterial', 'viral', 'covid']);
    expect(scenario.train.items.map((i) => i.label)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(names(scenario.train)[6]).toBe('x/COVID-19/000.png');
  });

  it('keeps only the classes asked for, in the order asked', () => {
    fill('x/normal', 2);
    fill('x/bacteria', 1);
    fill('x/covid19', 3);
    const { train } = loadDataset(join(root, 'x'), { classes: ['COVID-19', 'Normal'] });
    expect(train.classNames).toEqual(['covid', 'normal']);
    expect(counts(train)).toEqual({ covid: 3, normal: 2 });
  });
});

describe('loadDataset: scenarios and caps', () => {
  beforeEach(() => {
    fill('s/train/normal', 360);
    fill('s/train/bacterial', 351);
    fill('s/train/viral', 10);
    fill('s/train/covid', 400);
    fill('s/test/normal', 4);
    fill('s/test/bacterial', 3);
    fill('s/test/viral', 2);
    fill('s/test/covid', 1);
  });

  it('scenario 1 keeps normal and covid only', () => {
    const { train, test } = loadDataset(join(root, 's'), { scenario: 1 });
    expect(train.classNames).toEqual(['normal', 'covid']);
    expect(counts(train)).toEqual({ normal: 360, covid: 400 });
    expect(counts(test!)).toEqual({ normal: 4, covid: 1 });
  });

  it('scenario 2 keeps all four classes and all data', () => {
    const { train } = loadDataset(join(root, 's'), { scenario: 2 });
    expect(counts(train)).toEqual({ normal: 360, bacterial: 351, viral: 10, covid: 400 });
  });

  it('scenario 3 caps each non-COVID training class at 350, seeded, leaving covid and the test set whole', () => {
    const a = loadDataset(join(root, 's'), { scenario: 3, seed: 4 });
    expect(counts(a.train)).toEqual({ normal: 350, bacterial: 350, viral: 10, covid: 400 });
    expect(counts(a.test!)).toEqual({ normal: 4, bacterial: 3, viral: 2, covid: 1 });
    const files = names(a.train);
    expect(files).toEqual([...files].sort((x, y) => (x < y ? -1 : 1)).sort((x, y) => labelOf(x) - labelOf(y)));
    expect(loadDataset(join(root, 's'), { scenario: 3, seed: 4 })).toEqual(a);
    expect(names(loadDataset(join(root, 's'), { scenario: 3, seed: 5 }).train)).not.toEqual(files);
  });

  it('maxPerClass caps every class, together with a scenario', () => {
    expect(counts(loadDataset(join(root, 's'), { maxPerClass: 5 }).train)).toEqual({ normal: 5, bacterial: 5, viral: 5, covid: 5 });
    expect(counts(loadDataset(join(root, 's'), { scenario: 3, maxPerClass: 200 }).train)).toEqual({
      normal: 200,
      bacterial: 200,
      viral: 10,
      covid: 200,
    });
  });
});

function labelOf(file: string): number {
  return ['normal', 'bacterial', 'viral', 'covid'].indexOf(file.split('/')[2]);
}

describe('loadDataset: COVIDx split files', () => {
  beforeEach(() => {
    fill('cx/train', 4);
    fill('cx/test', 2);
  });

  it('reads "patient filename label [source]" lines against DIR/train and DIR/test', () => {
    touch('cx/train.txt', ['# comment', 'p1 000.png normal rsna', '', 'p2 001.png COVID-19 cohen', 'p3 002.png pneumonia_bacterial x', 'p4 003.png viral'].join('\n'));
    touch('cx/test.txt', 'q1 000.png normal bsti\r\nq2 001.png covid bsti\r\n');
    const { train, test } = loadDataset(join(root, 'cx'), { splitFiles: { train: 'train.txt', test: 'test.txt' } });
    expect(train.classNames).toEqual(['bacterial', 'covid', 'normal', 'viral']);
    expect(names(train)).toEqual(['cx/train/002.png', 'cx/train/001.png', 'cx/train/000.png', 'cx/train/003.png']);
    expect(counts(test!)).toEqual({ covid: 1, normal: 1 });
    const scenario1 = loadDataset(join(root, 'cx'), { scenario: 1, splitFiles: { train: 'train.txt' } });
    expect(counts(scenario1.train)).toEqual({ normal: 1, covid: 1 });
  });

  const refuses = (lines: string, message: RegExp) => {
    const splitFile = touch('cx/bad.txt', lines);
    const load = () => loadDataset(join(root, 'cx'), { splitFiles: { train: 'bad.txt' } });
    expect(load).toThrow(DataError);
    expect(load).toThrow(new RegExp(`${splitFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${message.source}`));
  };

  it('refuses unknown labels, naming the line', () => {
    refuses('p1 000.png normal s\np2 001.png pneumonia s\n', /2: unknown label "pneumonia"/);
  });

  it('refuses missing files and duplicate entries', () => {
    refuses('p1 000.png normal s\n\np2 404.png normal s\n', /3: image file not found/);
    refuses('p1 000.png normal s\np2 001.png covid s\np1 000.png normal s\n', /3: duplicate entry "000.png" \(first listed on line 1\)/);
  });

  it('refuses paths that escape the image root', () => {
    touch('cx/outside.png');
    refuses('p1 ../outside.png normal s\n', /1: filename "..\/outside.png" escapes the image root/);
    refuses(`p1 ${join(root, 'cx/outside.png')} normal s\n`, /1: filename ".*" is absolute/);
  });

  it('refuses lines with the wrong number of fields', () => {
    refuses('p1 000.png\n', /1: expected "patient_id filename label \[source\]", found 2 fields/);
  });
});

describe('loadDataset: refusals name the folder or file', () => {
  const refuses = (dir: string, message: RegExp, options = {}) => {
    expect(() => loadDataset(dir, options)).toThrow(DataError);
    expect(() => loadDataset(dir, options)).toThrow(message);
  };

  it('refuses a missing folder or a file in its place', () => {
    refuses(join(root, 'nope'), /nope: data set folder does not exist/);
    refuses(touch('file.png'), /file\.png: data set path is not a folder/);
  });

  it('refuses an empty class folder and a folder without any class folder', () => {
    fill('e/normal', 2);
    mkdirSync(join(root, 'e/covid'));
    touch('e/covid/notes.txt');
    refuses(join(root, 'e'), /e\/covid: class folder holds no \.png\/\.jpg\/\.jpeg images/);
    mkdirSync(join(root, 'none'));
    touch('none/loose.png');
    refuses(join(root, 'none'), /none: no class folders with images/);
  });

  it('refuses a symbolic link loop', () => {
    fill('loop/normal', 1);
    symlinkSync(join(root, 'loop/normal'), join(root, 'loop/normal/again'));
    refuses(join(root, 'loop'), /loop\/normal\/again: symbolic link loop/);
  });

  it('refuses a dangling symbolic link named like an image', () => {
    fill('dang/normal', 1);
    symlinkSync(join(root, 'missing.png'), join(root, 'dang/normal/gone.png'));
    refuses(join(root, 'dang'), /dang\/normal\/gone\.png: unreadable/);
  });

  it('refuses a requested class that is not there, two folders for one class, and a test-only class', () => {
    fill('c/normal', 1);
    refuses(join(root, 'c'), /class "covid" not found \(classes present: normal\)/, { scenario: 1 });
    fill('c/COVID', 1);
    fill('c/covid-19', 1);
    refuses(join(root, 'c'), /folders "COVID" and "covid-19" both name class "covid"/);
    fill('t/train/normal', 1);
    fill('t/test/viral', 1);
    refuses(join(root, 't'), /test: class "viral" has no training images/);
  });

  it('refuses valSplit when there is a test split, and contradictory options', () => {
    fill('v/train/normal', 2);
    fill('v/test/normal', 1);
    refuses(join(root, 'v'), /valSplit is only for data without a test split/, { valSplit: 0.5 });
    expect(() => loadDataset(join(root, 'v'), { scenario: 1, classes: ['normal'] })).toThrow(RangeError);
    expect(() => loadDataset(join(root, 'v'), { valSplit: 1 })).toThrow(RangeError);
    expect(() => loadDataset(join(root, 'v'), { maxPerClass: 0 })).toThrow(RangeError);
  });
});
