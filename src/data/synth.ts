// The project's built-in data set: synthetic chest radiographs of the paper's four classes, with exact lung
// masks and optional shortcut confounders, written in the ImageFolder layout that loadDataset reads.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeGrayPng } from '../io/png_write.js';
import { CANONICAL_CLASSES, canonicalClassName, type CanonicalClass } from './class_names.js';
import { CONFOUNDER_KINDS, drawConfounder, type Box, type ConfounderKind } from './confounders.js';
import { renderFinding } from './findings.js';
import { lungCoverage, lungMask, renderAnatomy, sampleThorax } from './phantom.js';
import { createRng, deriveSeed, shuffleInPlace, type Rng } from './prng.js';
import { boxBlur, createPlane, type Plane } from './raster.js';
import type { SynthReply } from './synth_worker.js';
import { ThreadPool } from './thread_pool.js';

/** The worker script beside this module; absent where the sources run untranspiled (vitest): one thread then. */
const WORKER_SCRIPT = new URL('./synth_worker.js', import.meta.url);

/**
 * A confounder tied to one class: it appears on exactly round(rate * n) of the n images of the target class
 * and round((1 - rate) * n) of the n images of every other class, counted per split and class. rate = 1 makes
 * it a perfect shortcut, 0.5 makes it uninformative, 0 makes its absence the shortcut.
 */
export interface ConfounderOptions {
  kind: ConfounderKind;
  rate: number;
  /** Target class (aliases accepted); default covid. */
  class?: string;
}

export interface SyntheticOptions {
  outDir: string;
  /** Images per class, train and test together. */
  perClass: number;
  /** Width and height in pixels; default 224. */
  size?: number;
  /** Same seed, same options: byte-identical files. Default 0. */
  seed?: number;
  /** Share of each class written to train/, the rest to test/; default 0.8. */
  trainFraction?: number;
  confounder?: ConfounderOptions;
  /**
   * Threads drawing images (default: one per core, at most 8; 0: this thread). Each image comes from its own seed,
   * so the files are the same bytes however many draw them.
   */
  workers?: number;
}

export interface SyntheticImage {
  size: number;
  /** 8-bit gray pixels, row-major. */
  pixels: Uint8Array;
  /** 255 inside the lungs, 0 elsewhere; never includes a confounder. */
  mask: Uint8Array;
  confounderBox?: Box;
}

export interface ManifestImage {
  file: string;
  mask: string;
  class: CanonicalClass;
  split: 'train' | 'test';
  confounder?: { kind: ConfounderKind; box: Box };
}

export interface SyntheticManifest {
  generator: string;
  options: Omit<Required<SyntheticOptions>, 'outDir' | 'confounder' | 'workers'> & {
    confounder: Required<ConfounderOptions> | null;
  };
  classes: CanonicalClass[];
  counts: Record<'train' | 'test', Record<CanonicalClass, number>>;
  images: ManifestImage[];
}

const GENERATOR = 'cnnx synthetic chest radiographs v1';

// Density that maps to full brightness before the exposure's gamma, and the film-curve table's resolution.
const FILM_MAX_DENSITY = 1.3;
const FILM_CURVE_STEPS = 4096;

// Independent random streams of one image: toggling the confounder or the class leaves the anatomy unchanged.
const ANATOMY_STREAM = 1;
const FINDING_STREAM = 2;
const FILM_STREAM = 3;
const CONFOUNDER_STREAM = 4;
// Stream of the generator's choice of which images carry the confounder.
const CONFOUNDED_SET_STREAM = 5;

/** Renders one synthetic radiograph of a class from its own seed. */
export function renderSyntheticImage(
  cls: CanonicalClass,
  options: { size?: number; seed: number; confounder?: ConfounderKind },
): SyntheticImage {
  const size = options.size ?? 224;
  const seed = options.seed;
  const thorax = sampleThorax(createRng(deriveSeed(seed, ANATOMY_STREAM)), size);
  const mask = lungMask(thorax);
  const coverage = lungCoverage(mask, size);
  const density = renderAnatomy(thorax, coverage);
  const finding = renderFinding(cls, thorax, coverage, createRng(deriveSeed(seed, FINDING_STREAM)));
  for (let i = 0; i < density.data.length; i++) density.data[i] += finding.data[i];

  const image = expose(density, createRng(deriveSeed(seed, FILM_STREAM)));
  const confounderBox = options.confounder
    ? drawConfounder(options.confounder, image, createRng(deriveSeed(seed, CONFOUNDER_STREAM)))
    : undefined;

  const pixels = new Uint8Array(size * size);
  for (let i = 0; i < pixels.length; i++) {
    const level = 255 * image.data[i] + 0.5; // storing into a Uint8Array truncates: this rounds half up
    pixels[i] = level < 0 ? 0 : level > 255 ? 255 : level;
  }
  for (let i = 0; i < mask.length; i++) mask[i] *= 255;
  return { size, pixels, mask, ...(confounderBox ? { confounderBox } : {}) };
}

/**
 * Density to film brightness with per-image exposure: detector blur, a gamma (contrast curve), brightness and
 * contrast, then quantum noise (triangular, which is close enough to Gaussian at two uniforms a pixel).
 * Values come out in about [0, 1].
 */
function expose(density: Plane, rng: Rng): Plane {
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const blurred = boxBlur(density, Math.max(1, Math.round(density.width / 224)), 1);
  const gamma = uniform(0.75, 1.3);
  const contrast = uniform(0.85, 1.08);
  const brightness = uniform(-0.05, 0.07);
  const noise = uniform(0.006, 0.018) * Math.sqrt(6); // the triangular noise below has variance 1/6
  // The film curve as a table: Math.pow per pixel would dominate the render time.
  const curve = new Float32Array(FILM_CURVE_STEPS + 1);
  for (let k = 0; k <= FILM_CURVE_STEPS; k++) curve[k] = brightness + contrast * Math.pow(k / FILM_CURVE_STEPS, gamma);
  const image = createPlane(density.width, density.height);
  for (let i = 0; i < image.data.length; i++) {
    const k = Math.min(FILM_CURVE_STEPS, ((blurred.data[i] / FILM_MAX_DENSITY) * FILM_CURVE_STEPS + 0.5) | 0);
    image.data[i] = curve[k] + noise * (rng.next() + rng.next() - 1);
  }
  return image;
}

/**
 * Writes outDir/{train,test}/<class>/NNNN.png, the lung masks at outDir/masks/<same path>, and
 * outDir/manifest.json (options, counts, and every image with its confounder box). outDir must be absent or
 * empty, so no stale file from an earlier run can mix in.
 */
export async function generateSynthetic(options: SyntheticOptions): Promise<SyntheticManifest> {
  const size = options.size ?? 224;
  const seed = options.seed ?? 0;
  const trainFraction = options.trainFraction ?? 0.8;
  const confounder = resolveConfounder(options.confounder);
  checkOptions(options.perClass, size, trainFraction);
  const { outDir, perClass } = options;
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new Error(`${outDir}: output folder is not empty; synthetic data is only written into an empty folder`);
  }

  await mkdir(outDir, { recursive: true });
  const nTrain = Math.round(perClass * trainFraction);
  const digits = Math.max(4, String(perClass - 1).length);
  const counts = { train: {} as Record<CanonicalClass, number>, test: {} as Record<CanonicalClass, number> };
  const jobs: SyntheticJob[] = [];
  for (const [label, cls] of CANONICAL_CLASSES.entries()) {
    for (const [splitIndex, split] of (['train', 'test'] as const).entries()) {
      const first = split === 'train' ? 0 : nTrain;
      const count = split === 'train' ? nTrain : perClass - nTrain;
      counts[split][cls] = count;
      const confounded = confoundedSet(confounder, cls, count, deriveSeed(seed, CONFOUNDED_SET_STREAM, splitIndex, label));
      if (count > 0) {
        await mkdir(join(outDir, split, cls), { recursive: true });
        await mkdir(join(outDir, 'masks', split, cls), { recursive: true });
      }
      for (let k = 0; k < count; k++) {
        const file = `${split}/${cls}/${String(k).padStart(digits, '0')}.png`;
        const kind = confounded.has(k) ? confounder!.kind : undefined;
        const job = { outDir, file, cls, split, size, seed: deriveSeed(seed, label, first + k) };
        jobs.push(kind ? { ...job, confounder: kind } : job);
      }
    }
  }
  const pool = ThreadPool.open(options.workers ?? ThreadPool.defaultWorkers(0), WORKER_SCRIPT);
  let boxes: (Box | undefined)[];
  try {
    boxes = pool
      ? (await Promise.all(jobs.map((job) => pool.request<SynthReply>(job)))).map((reply) => reply.box)
      : await sequentially(jobs, writeSyntheticImage);
  } finally {
    await pool?.close();
  }
  const images: ManifestImage[] = jobs.map((job, i) => ({
    file: job.file,
    mask: `masks/${job.file}`,
    class: job.cls,
    split: job.split,
    ...(job.confounder && boxes[i] ? { confounder: { kind: job.confounder, box: boxes[i]! } } : {}),
  }));

  const manifest: SyntheticManifest = {
    generator: GENERATOR,
    options: { perClass, size, seed, trainFraction, confounder },
    classes: [...CANONICAL_CLASSES],
    counts,
    images,
  };
  await writeFile(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}

/** One image of the data set to draw and write, with its mask (a worker's request, or run on this thread). */
export interface SyntheticJob {
  outDir: string;
  /** Relative to outDir: split/class/NNNN.png; its mask goes to masks/ + file. */
  file: string;
  cls: CanonicalClass;
  split: 'train' | 'test';
  size: number;
  seed: number;
  confounder?: ConfounderKind;
}

/** Draws the job's image and writes it and its mask; returns where the confounder was burnt in, if one was. */
export async function writeSyntheticImage(job: SyntheticJob): Promise<Box | undefined> {
  const image = renderSyntheticImage(job.cls, { size: job.size, seed: job.seed, confounder: job.confounder });
  const png = (data: Uint8Array) => encodeGrayPng({ width: job.size, height: job.size, data });
  await writeFile(join(job.outDir, job.file), png(image.pixels));
  await writeFile(join(job.outDir, 'masks', job.file), png(image.mask));
  return image.confounderBox;
}

async function sequentially<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await run(item));
  return results;
}

/** Indices (within one split of one class) of the images that carry the confounder. */
function confoundedSet(confounder: Required<ConfounderOptions> | null, cls: CanonicalClass, count: number, seed: number): Set<number> {
  if (!confounder) return new Set();
  const share = cls === confounder.class ? confounder.rate : 1 - confounder.rate;
  const order = shuffleInPlace(Array.from({ length: count }, (_, k) => k), createRng(seed));
  return new Set(order.slice(0, Math.round(share * count)));
}

function resolveConfounder(confounder: ConfounderOptions | undefined): Required<ConfounderOptions> | null {
  if (!confounder) return null;
  if (!CONFOUNDER_KINDS.includes(confounder.kind)) {
    throw new RangeError(`confounder kind must be one of ${CONFOUNDER_KINDS.join(', ')}, got ${confounder.kind}`);
  }
  if (!(confounder.rate >= 0 && confounder.rate <= 1)) {
    throw new RangeError(`confounder rate must be in [0, 1], got ${confounder.rate}`);
  }
  const target = canonicalClassName(confounder.class ?? 'covid');
  if (!target) throw new RangeError(`confounder class "${confounder.class}" is not one of ${CANONICAL_CLASSES.join(', ')}`);
  return { kind: confounder.kind, rate: confounder.rate, class: target };
}

function checkOptions(perClass: number, size: number, trainFraction: number): void {
  if (!Number.isInteger(perClass) || perClass <= 0) throw new RangeError(`perClass must be a positive integer, got ${perClass}`);
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`size must be an integer of at least 32 pixels, got ${size}`);
  if (!(trainFraction > 0 && trainFraction <= 1)) throw new RangeError(`trainFraction must be in (0, 1], got ${trainFraction}`);
}
