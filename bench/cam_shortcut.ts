/**
 * The shortcut experiment of docs/cam.md, end to end: `npx vite-node bench/cam_shortcut.ts [options]`
 *   --size 64 --per-class 100 --epochs 8 --lr 1e-3 --seed 5 --method cam --work /tmp/cnnx-cam-shortcut
 *   --out docs/cam_shortcut.png [--reuse: skip generation and training, load WORK/{marked,clean}.safetensors]
 * 1. Two synthetic sets from the same seed, so image k of a class has the same anatomy in both: "marked", where an
 *    R/L side marker is burned into every COVID-19 image and no other (`cnnx data synth --confounder marker
 *    --confounder-rate 1`), and "clean", without it.
 * 2. CNN-X (input = image size) trained on each for normal vs COVID-19 (the paper's scenario 1), seeds fixed.
 * 3. CAM of every test image: test accuracy, the mean inside-lung fraction (src/train/cam/energy.ts) per class,
 *    and on the marked set the share of the map inside the marker's box (from the generator's manifest). The
 *    clean-trained model is also run on the marked test images (the marker should not attract it).
 * 4. A figure: for a few COVID-19 test images, the marked image, the marker-trained model's CAM of it, its clean
 *    twin, the clean-trained model's CAM of that and of the marked image, each with its inside-lung fraction.
 * Prints a Markdown table and writes the numbers as JSON beside the figure; the two checkpoints stay in the work
 * folder (marked.safetensors, clean.safetensors) for `cnnx cam --report`. Not a timing benchmark: it reports the
 * training time of each model on the adapter it ran on.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { drawText, GLYPH_HEIGHT, textWidth } from '../src/data/bitmap_font.js';
import { loadDataset, type DatasetItem } from '../src/data/dataset.js';
import { createRng } from '../src/data/prng.js';
import { resizeBilinear } from '../src/data/resize.js';
import { SCENARIOS } from '../src/data/scenarios.js';
import { generateSynthetic, type SyntheticManifest } from '../src/data/synth.js';
import { decodeImage } from '../src/io/image.js';
import { encodeRgbPng } from '../src/io/png_write.js';
import { Cnnx, CNNX_PAPER } from '../src/models/cnnx.js';
import { createNodePlatform } from '../src/platform/node.js';
import { Gpu } from '../src/runtime/gpu.js';
import { Adam } from '../src/train/adam.js';
import { meanOf, normalizeMap } from '../src/train/cam/energy.js';
import type { CamMethod } from '../src/train/cam/maps.js';
import type { RgbImage } from '../src/train/cam/overlay.js';
import { camImages, type CamImageResult } from '../src/train/cam/run.js';
import { encodeCheckpoint } from '../src/train/checkpoint.js';
import { train } from '../src/train/trainer.js';
import { loadModel } from '../src/cli/load_model.js';

const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '128' },
    'per-class': { type: 'string', default: '150' },
    epochs: { type: 'string', default: '10' },
    lr: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '5' },
    method: { type: 'string', default: 'cam' },
    work: { type: 'string', default: '/tmp/cnnx-cam-shortcut' },
    out: { type: 'string', default: 'docs/cam_shortcut.png' },
    rows: { type: 'string', default: '4' },
    reuse: { type: 'boolean', default: false },
  },
});
const SIZE = Number(opts.size);
const PER_CLASS = Number(opts['per-class']);
const EPOCHS = Number(opts.epochs);
const LR = Number(opts.lr);
const SEED = Number(opts.seed);
const METHOD = opts.method as CamMethod;
const ROWS = Number(opts.rows);
const jsonOut = opts.out.replace(/\.png$/, '.json');

interface CamItem {
  file: string;
  mask: string;
  label: number;
}

type Results = CamImageResult<CamItem>[];

interface Measured {
  accuracy: number;
  lungByClass: Record<string, number | null>;
  markerShare: number | null;
  results: CamImageResult<CamItem>[];
}

const gpu = await Gpu.create(createNodePlatform());
const adapter = gpu.info.description || gpu.info.device;
const sets = {
  marked: join(opts.work, 'marked'),
  clean: join(opts.work, 'clean'),
};
const manifests: Record<string, SyntheticManifest> = {};
if (!opts.reuse) rmSync(opts.work, { recursive: true, force: true });
for (const [name, dir] of Object.entries(sets)) {
  if (opts.reuse) {
    manifests[name] = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as SyntheticManifest;
    continue;
  }
  manifests[name] = await generateSynthetic({
    outDir: dir,
    perClass: PER_CLASS,
    size: SIZE,
    seed: SEED,
    ...(name === 'marked' ? { confounder: { kind: 'marker' as const, rate: 1, class: 'covid' } } : {}),
  });
}

const summary: Record<string, unknown> = {
  adapter,
  options: { size: SIZE, perClass: PER_CLASS, epochs: EPOCHS, lr: LR, seed: SEED, method: METHOD, scenario: 1 },
};
const measured: Record<string, Measured> = {};
for (const name of ['marked', 'clean'] as const) {
  const dir = sets[name];
  const data = loadDataset(dir, { scenario: 1 });
  const checkpoint = join(opts.work, `${name}.safetensors`);
  let model: Cnnx;
  let trained: Record<string, unknown> = {};
  if (opts.reuse) {
    model = loadModel(gpu, 'cnnx', checkpoint).model as Cnnx;
    // Keep what the training run recorded (its time and train accuracy) when the numbers are rewritten.
    const previous = existsSync(jsonOut) ? (JSON.parse(readFileSync(jsonOut, 'utf8')) as Record<string, Record<string, unknown>>) : {};
    trained = { seconds: previous[name]?.seconds ?? null, trainAccuracy: previous[name]?.trainAccuracy ?? null };
  } else {
    model = new Cnnx({ gpu, rng: createRng(SEED) }, { ...CNNX_PAPER, inputSize: SIZE, numClasses: 2 });
    const optimizer = new Adam(model.namedParameters(), { lr: LR, weightDecay: 0 });
    const started = performance.now();
    const records = await train({
      model,
      optimizer,
      train: data.train,
      test: data.test!,
      config: { epochs: EPOCHS, batchSize: 15, lr: LR, weightDecay: 0, seed: SEED, shuffle: true },
    });
    optimizer.dispose();
    const seconds = (performance.now() - started) / 1000;
    const last = records[records.length - 1]!;
    // A checkpoint `cnnx cam --weights` reads (and --reuse), to look at the same model with other methods or maps.
    writeFileSync(
      checkpoint,
      encodeCheckpoint(await model.stateDict(), new Map(), {
        model: 'cnnx',
        modelConfig: { ...model.config },
        classNames: data.train.classNames,
        epoch: EPOCHS,
        step: last.step,
      }),
    );
    console.error(`${name}: trained ${EPOCHS} epochs in ${seconds.toFixed(0)} s, test accuracy ${last.test!.accuracy!.toFixed(3)}`);
    trained = { seconds, trainAccuracy: last.trainAccuracy };
  }
  measured[name] = await measure(model, dir, data.test!.items, data.test!.classNames, manifests.marked!);
  summary[name] = { ...trained, ...withoutResults(measured[name]!) };
  if (name === 'clean') {
    // The clean-trained model on the marked test images: same anatomy, marker added.
    const marked = loadDataset(sets.marked, { scenario: 1 });
    const cross = await measure(model, sets.marked, marked.test!.items, marked.test!.classNames, manifests.marked!);
    measured.cleanOnMarked = cross;
    summary.cleanOnMarked = withoutResults(cross);
  }
  model.dispose();
}
gpu.destroy();

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(1)}%`);
const table = [
  '| model | test images | test accuracy | inside lungs, COVID-19 | inside lungs, normal | inside the marker box, COVID-19 |',
  '| --- | --- | --- | --- | --- | --- |',
  ...([
    ['marker-trained', 'marked', measured.marked],
    ['clean-trained', 'clean', measured.clean],
    ['clean-trained', 'marked', measured.cleanOnMarked],
  ] as const).map(([model, set, m]) =>
    `| ${model} | ${set} | ${pct(m!.accuracy)} | ${pct(m!.lungByClass.covid)} | ${pct(m!.lungByClass.normal)} | ${pct(m!.markerShare)} |`,
  ),
];
// Image by image: the marked set's COVID-19 test image k and its clean twin differ only by the marker.
const covidLabel = SCENARIOS[1].classes.indexOf('covid');
const twins = measured.marked!.results
  .filter((r) => r.input.label === covidLabel)
  .map((r) => [r, measured.clean!.results.find((c) => relative(sets.clean, c.input.file) === relative(sets.marked, r.input.file))!] as const);
const lower = twins.filter(([m, c]) => (m.lungFraction ?? 1) < (c.lungFraction ?? 0)).length;
summary.pairedLower = { lower, of: twins.length };
console.log(table.join('\n'));
console.log(`inside-lung fraction lower for the marker-trained model on ${lower} of ${twins.length} COVID-19 test images (paired with their clean twins)`);
console.log(`(${adapter}; ${SIZE}x${SIZE}, ${PER_CLASS} images per class, ${EPOCHS} epochs, lr ${LR}, ${METHOD})`);

mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, encodeRgbPng(figure(measured.marked!.results, measured.clean!.results, measured.cleanOnMarked!.results)));
writeFileSync(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`figure: ${opts.out}`);

async function measure(
  model: Cnnx,
  dir: string,
  items: DatasetItem[],
  classNames: string[],
  markedManifest: SyntheticManifest,
): Promise<Measured> {
  const inputs: CamItem[] = items.map((i) => ({ file: i.file, mask: join(dir, 'masks', relative(dir, i.file)), label: i.label }));
  const boxes = new Map(markedManifest.images.filter((m) => m.confounder).map((m) => [join(sets.marked, m.file), m.confounder!.box]));
  const results: CamImageResult<CamItem>[] = [];
  for await (const r of camImages(model, inputs, { method: METHOD, batchSize: 16, colormap: 'jet', opacity: 0.5 })) results.push(r);
  const shares: number[] = [];
  for (const r of results) {
    const box = boxes.get(r.input.file);
    if (!box) continue;
    const map = normalizeMap(resizeBilinear({ width: r.width, height: r.height, data: r.map }, SIZE, SIZE).data);
    if (!map) continue;
    let inside = 0;
    let total = 0;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const v = map[y * SIZE + x]!;
        total += v;
        if (x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3]) inside += v;
      }
    }
    shares.push(inside / total);
  }
  const lungByClass: Record<string, number | null> = {};
  classNames.forEach((name, c) => (lungByClass[name] = meanOf(results.filter((r) => r.input.label === c).map((r) => r.lungFraction))));
  const correct = results.filter((r) => r.predicted === r.input.label).length;
  return { accuracy: correct / results.length, lungByClass, markerShare: meanOf(shares), results };
}

function withoutResults(m: Measured): Omit<Measured, 'results'> {
  const { results: _, ...rest } = m;
  return rest;
}

/**
 * Rows of COVID-19 test images: marked image | marker-trained CAM | clean twin | clean-trained CAM | clean-trained
 * CAM of the marked image (the marker itself does not draw a model that never learned it).
 */
function figure(marked: Results, clean: Results, cleanOnMarked: Results): RgbImage {
  const pick = marked.filter((r) => r.input.label === SCENARIOS[1].classes.indexOf('covid')).slice(0, ROWS);
  const scale = Math.max(1, Math.round(160 / SIZE));
  const tile = SIZE * scale;
  const font = tile >= 192 ? 2 : 1;
  const line = GLYPH_HEIGHT * font + 4;
  const pad = 4;
  const header = 2 * line + 4;
  const width = 5 * tile + 6 * pad;
  const height = header + pick.length * (tile + line + pad) + pad;
  const canvas = { width, height, data: new Uint8Array(width * height * 3).fill(255) };
  const titles = [['MARKED IMAGE', ''], ['CAM: TRAINED', 'WITH MARKER'], ['CLEAN TWIN', ''], ['CAM: TRAINED', 'ON CLEAN'], ['SAME MODEL ON', 'MARKED IMAGE']];
  titles.forEach((lines, col) => lines.forEach((t, row) => text(canvas, t, pad + col * (tile + pad) + 2, 4 + row * line, font)));
  const twinOf = (results: Results, file: string, set: string) =>
    results.find((c) => relative(set, c.input.file) === relative(sets.marked, file))!;
  pick.forEach((r, row) => {
    const twin = twinOf(clean, r.input.file, sets.clean);
    const cross = twinOf(cleanOnMarked, r.input.file, sets.marked);
    const y = header + row * (tile + line + pad);
    const tiles: [RgbImage, string][] = [
      [grayTile(r.input.file), ''],
      [r.overlay!, `LUNGS ${fraction(r.lungFraction)}`],
      [grayTile(twin.input.file), ''],
      [twin.overlay!, `LUNGS ${fraction(twin.lungFraction)}`],
      [cross.overlay!, `LUNGS ${fraction(cross.lungFraction)}`],
    ];
    tiles.forEach(([image, label], col) => {
      const x = pad + col * (tile + pad);
      blit(canvas, image, x, y, scale);
      if (label) text(canvas, label, x + 2, y + tile + 3, font);
    });
  });
  return canvas;
}

function fraction(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

function grayTile(file: string): RgbImage {
  const gray = decodeImage(readFileSync(file), file);
  const data = new Uint8Array(gray.width * gray.height * 3);
  gray.data.forEach((v, p) => (data[p * 3] = data[p * 3 + 1] = data[p * 3 + 2] = Math.round(v)));
  return { width: gray.width, height: gray.height, data };
}

function blit(canvas: RgbImage, image: RgbImage, x0: number, y0: number, scale: number): void {
  for (let y = 0; y < image.height * scale; y++) {
    for (let x = 0; x < image.width * scale; x++) {
      const src = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 3;
      const dst = ((y0 + y) * canvas.width + x0 + x) * 3;
      canvas.data[dst] = image.data[src]!;
      canvas.data[dst + 1] = image.data[src + 1]!;
      canvas.data[dst + 2] = image.data[src + 2]!;
    }
  }
}

function text(canvas: RgbImage, line: string, x: number, y: number, scale: number): void {
  const w = textWidth(line, scale);
  const plane = { width: w, height: GLYPH_HEIGHT * scale, data: new Float32Array(w * GLYPH_HEIGHT * scale) };
  drawText(plane, line, 0, 0, scale, 1);
  plane.data.forEach((v, p) => {
    if (v <= 0) return;
    const px = x + (p % plane.width);
    const py = y + Math.floor(p / plane.width);
    if (px >= canvas.width || py >= canvas.height) return;
    const dst = (py * canvas.width + px) * 3;
    canvas.data[dst] = canvas.data[dst + 1] = canvas.data[dst + 2] = 0;
  });
}
