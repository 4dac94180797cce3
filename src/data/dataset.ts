// Labelled image lists from a data set folder: ImageFolder layouts or COVIDx-style split files, narrowed to the
// paper's scenarios or to chosen classes, with seeded hold-outs and caps so a seed names the exact lists.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canonicalClassName } from './class_names.js';
import { DataError } from './data_error.js';
import { compareCodeUnits, scanClassFolders } from './image_folder.js';
import { createRng, deriveSeed, shuffleInPlace } from './prng.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { readSplitFile } from './split_file.js';

export { DataError } from './data_error.js';

export interface DatasetItem {
  /** Absolute path of the image file. */
  file: string;
  /** Index into the split's classNames. */
  label: number;
}

export interface DatasetSplit {
  classNames: string[];
  /** Grouped by label, files in path order within a class. */
  items: DatasetItem[];
}

export interface LoadedDataset {
  train: DatasetSplit;
  /** The test (or val) folder, the test split file, or the valSplit hold-out; absent when there is none. */
  test?: DatasetSplit;
}

export interface LoadDatasetOptions {
  /** A set-up of the paper: 1 = normal vs covid; 2 = four classes; 3 = four classes, <= 350 train per non-COVID. */
  scenario?: Scenario;
  /** Classes to keep, in label order (aliases such as "COVID-19" accepted). Not together with scenario. */
  classes?: string[];
  /** Largest number of training images per class, drawn with the seed. */
  maxPerClass?: number;
  /** Fraction of each class held out as the test split (stratified, seeded), when the data has no test split. */
  valSplit?: number;
  /** Seed of the hold-out and cap draws; default 0. */
  seed?: number;
  /**
   * COVIDx-style split files (relative to dir, or absolute) instead of class folders. Their filenames are
   * relative to dir/train and dir/test when those folders exist, else to dir.
   */
  splitFiles?: { train: string; test?: string };
}

/** Images per class key, before selection; the keys are canonical class names where a name is recognised. */
type ClassFiles = Map<string, string[]>;

// Distinct streams of the seed, so changing the cap does not change which images are held out.
const HOLD_OUT_STREAM = 1;
const CAP_STREAM = 2;

/**
 * Loads the image lists of a data set. Layouts, tried in order:
 * - options.splitFiles: COVIDx split files (see readSplitFile);
 * - dir/train/<class>/ with dir/test/<class>/ (or dir/val/<class>/) beside it;
 * - dir/<class>/: every image is training data unless valSplit asks for a hold-out.
 * Without scenario or classes, classNames are the class keys sorted by name (torchvision's ImageFolder order),
 * where a folder named like a canonical class (case-insensitive, aliases accepted) is keyed by that class.
 */
export function loadDataset(dir: string, options: LoadDatasetOptions = {}): LoadedDataset {
  checkOptions(options);
  if (!existsSync(dir)) throw new DataError(`${dir}: data set folder does not exist`);
  if (!statSync(dir).isDirectory()) throw new DataError(`${dir}: data set path is not a folder`);
  const root = resolve(dir);

  const found = options.splitFiles ? readSplitFiles(root, options.splitFiles) : readClassFolders(root);
  if (sumFiles(found.train) === 0) throw new DataError(`${found.trainSource}: no images found`);

  const classNames = selectedClasses(options) ?? [...found.train.keys()].sort(compareCodeUnits);
  for (const name of classNames) {
    if (!found.train.has(name)) {
      const present = [...found.train.keys()].join(', ');
      throw new DataError(`${found.trainSource}: class "${name}" not found (classes present: ${present})`);
    }
  }
  if (found.test && !selectedClasses(options)) {
    for (const name of found.test.keys()) {
      if (!found.train.has(name)) throw new DataError(`${found.testSource}: class "${name}" has no training images`);
    }
  }

  const seed = options.seed ?? 0;
  let train = found.train;
  let test = found.test;
  if (options.valSplit !== undefined) {
    if (test) throw new DataError(`${found.testSource}: valSplit is only for data without a test split`);
    [train, test] = holdOut(train, classNames, options.valSplit, seed);
  }
  train = capClasses(train, classNames, trainCaps(options, classNames), seed);

  return {
    train: toSplit(train, classNames),
    ...(test ? { test: toSplit(test, classNames) } : {}),
  };
}

interface FoundFiles {
  train: ClassFiles;
  test?: ClassFiles;
  trainSource: string;
  testSource: string;
}

function readClassFolders(root: string): FoundFiles {
  const trainDir = join(root, 'train');
  if (!isFolder(trainDir)) return { train: keyByClass(root), trainSource: root, testSource: root };
  const testDir = ['test', 'val'].map((name) => join(root, name)).find(isFolder);
  return {
    train: keyByClass(trainDir),
    ...(testDir ? { test: keyByClass(testDir) } : {}),
    trainSource: trainDir,
    testSource: testDir ?? root,
  };
}

/** Class folders of dir keyed by canonical class (or their own name when not recognised). */
function keyByClass(dir: string): ClassFiles {
  const byKey: ClassFiles = new Map();
  const folderOf = new Map<string, string>();
  for (const [folder, files] of scanClassFolders(dir)) {
    const key = canonicalClassName(folder) ?? folder;
    const other = folderOf.get(key);
    if (other !== undefined) throw new DataError(`${dir}: folders "${other}" and "${folder}" both name class "${key}"`);
    folderOf.set(key, folder);
    byKey.set(key, files);
  }
  if (byKey.size === 0) throw new DataError(`${dir}: no class folders with images (expected ${dir}/<class>/*.png)`);
  return byKey;
}

function readSplitFiles(root: string, splitFiles: { train: string; test?: string }): FoundFiles {
  const read = (splitFile: string, split: string): ClassFiles => {
    const imageRoot = isFolder(join(root, split)) ? join(root, split) : root;
    const byClass: ClassFiles = new Map();
    for (const entry of readSplitFile(resolve(root, splitFile), imageRoot)) {
      const files = byClass.get(entry.label) ?? [];
      files.push(entry.file);
      byClass.set(entry.label, files);
    }
    for (const files of byClass.values()) files.sort(compareCodeUnits);
    return byClass;
  };
  return {
    train: read(splitFiles.train, 'train'),
    ...(splitFiles.test ? { test: read(splitFiles.test, 'test') } : {}),
    trainSource: resolve(root, splitFiles.train),
    testSource: splitFiles.test ? resolve(root, splitFiles.test) : root,
  };
}

/** Holds out round(n * fraction) images of every class (at most n - 1), drawn with the seed. */
function holdOut(files: ClassFiles, classNames: string[], fraction: number, seed: number): [ClassFiles, ClassFiles] {
  const kept: ClassFiles = new Map();
  const held: ClassFiles = new Map();
  classNames.forEach((name, label) => {
    const all = files.get(name)!;
    const count = Math.min(all.length - 1, Math.round(all.length * fraction));
    const order = shuffleInPlace([...all], createRng(deriveSeed(seed, HOLD_OUT_STREAM, label)));
    held.set(name, order.slice(0, count).sort(compareCodeUnits));
    kept.set(name, order.slice(count).sort(compareCodeUnits));
  });
  return [kept, held];
}

/** Keeps a seeded draw of at most caps[name] images of each capped class, in path order. */
function capClasses(files: ClassFiles, classNames: string[], caps: Map<string, number>, seed: number): ClassFiles {
  const capped: ClassFiles = new Map(files);
  classNames.forEach((name, label) => {
    const cap = caps.get(name);
    const all = files.get(name)!;
    if (cap === undefined || all.length <= cap) return;
    const order = shuffleInPlace([...all], createRng(deriveSeed(seed, CAP_STREAM, label)));
    capped.set(name, order.slice(0, cap).sort(compareCodeUnits));
  });
  return capped;
}

function toSplit(files: ClassFiles, classNames: string[]): DatasetSplit {
  const items: DatasetItem[] = [];
  classNames.forEach((name, label) => {
    for (const file of files.get(name) ?? []) items.push({ file, label });
  });
  return { classNames: [...classNames], items };
}

/** The class keys asked for, in label order, or undefined to keep every class found. */
function selectedClasses(options: LoadDatasetOptions): string[] | undefined {
  if (options.scenario !== undefined) return [...SCENARIOS[options.scenario].classes];
  return options.classes?.map((name) => canonicalClassName(name) ?? name);
}

/** Training caps per class: the scenario's, lowered to maxPerClass where that is given. */
function trainCaps(options: LoadDatasetOptions, classNames: string[]): Map<string, number> {
  const scenarioCaps: Record<string, number> = options.scenario ? SCENARIOS[options.scenario].trainCaps : {};
  const caps = new Map<string, number>();
  for (const name of classNames) {
    const cap = Math.min(scenarioCaps[name] ?? Infinity, options.maxPerClass ?? Infinity);
    if (cap !== Infinity) caps.set(name, cap);
  }
  return caps;
}

function checkOptions(options: LoadDatasetOptions): void {
  const { scenario, classes, maxPerClass, valSplit } = options;
  if (scenario !== undefined && !(scenario in SCENARIOS)) throw new RangeError(`scenario must be 1, 2 or 3, got ${scenario}`);
  if (scenario !== undefined && classes !== undefined) throw new RangeError('give either scenario or classes, not both');
  if (classes !== undefined) {
    if (classes.length === 0) throw new RangeError('classes must name at least one class');
    const keys = classes.map((name) => canonicalClassName(name) ?? name);
    if (new Set(keys).size !== keys.length) throw new RangeError(`classes names a class twice: ${classes.join(', ')}`);
  }
  if (maxPerClass !== undefined && !(Number.isInteger(maxPerClass) && maxPerClass > 0)) {
    throw new RangeError(`maxPerClass must be a positive integer, got ${maxPerClass}`);
  }
  if (valSplit !== undefined && !(valSplit > 0 && valSplit < 1)) {
    throw new RangeError(`valSplit must be a fraction between 0 and 1, got ${valSplit}`);
  }
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function sumFiles(files: ClassFiles): number {
  let n = 0;
  for (const list of files.values()) n += list.length;
  return n;
}
