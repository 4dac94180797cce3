/**
 * `cnnx cam`: class activation maps (CAM, Grad-CAM, Grad-CAM++) of images or whole folders, written as overlay
 * PNGs at each image's own resolution; with --masks the share of each map inside the lungs, with --report a
 * self-contained HTML page, with --json the raw maps.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { encodeRgbPng } from '../../io/png_write.js';
import { modelNames } from '../../models/registry.js';
import { COLORMAPS, type ColormapName } from '../../train/cam/colormap.js';
import { summarizeLungFractions } from '../../train/cam/energy.js';
import { CamError } from '../../train/cam/layers.js';
import { CAM_METHODS, resolveClass, type CamMethod } from '../../train/cam/maps.js';
import { renderReport, type ReportImage } from '../../train/cam/report.js';
import { camImages } from '../../train/cam/run.js';
import { collectCamSources } from '../../train/cam/sources.js';
import { evaluate, formatReport } from '../../train/metrics.js';
import { formatDuration } from '../../train/progress.js';
import { positiveInteger } from '../data_options.js';
import { withGpu } from '../device.js';
import { UsageError } from '../errors.js';
import { loadModel } from '../load_model.js';
import { checkWritableFolder } from '../output_path.js';

const REPORT_THUMBNAIL = 256;

export function registerCam(cli: Argv): Argv {
  return cli.command(
    'cam <images..>',
    'class activation maps of images or folders, as overlays (and an HTML report)',
    (y) =>
      y
        .positional('images', { type: 'string', array: true, demandOption: true, describe: 'image files or folders' })
        .option('model', { type: 'string', default: 'cnnx', describe: `one of: ${modelNames().join(', ')}` })
        .option('weights', { type: 'string', demandOption: true, describe: 'checkpoint or weights file' })
        .option('method', { choices: [...CAM_METHODS], default: 'cam' as CamMethod, describe: 'CAM (Zhou et al.), Grad-CAM or Grad-CAM++' })
        .option('class', { type: 'string', describe: 'class to explain, index or name (default: the predicted one)' })
        .option('layer', { type: 'string', describe: 'module path of the layer (default: the last conv block; CNN-X: branches)' })
        .option('colormap', { choices: [...COLORMAPS], default: 'jet' as ColormapName })
        .option('opacity', { type: 'number', default: 0.5, describe: 'weight of the heat map over the image, 0 to 1' })
        .option('masks', { type: 'string', describe: 'folder of lung masks (same relative names) to measure the inside-lung fraction' })
        .option('report', { type: 'boolean', default: false, describe: 'also write OUT/report.html' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder for the overlay PNGs' })
        .option('json', { type: 'boolean', default: false, describe: 'print the results (with the raw maps) as JSON' })
        .option('batch-size', { type: 'number', default: 8 })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress line' }),
    async (args) => {
      const batchSize = positiveInteger(args['batch-size'], '--batch-size')!;
      if (!(args.opacity >= 0 && args.opacity <= 1)) throw new UsageError(`--opacity must be between 0 and 1, got ${args.opacity}`);
      const outDir = checkWritableFolder(args.out, '--out');
      await withGpu(async (gpu) => {
        const { model, classNames } = loadModel(gpu, args.model, args.weights);
        try {
          const targetClass = args.class === undefined ? undefined : classFlag(args.class, classNames);
          const sources = collectCamSources(args.images as string[], { classNames, ...(args.masks ? { masks: args.masks } : {}) });
          const progress = new CamProgress(sources.length, args.quiet);
          const results: Record<string, unknown>[] = [];
          const reportImages: ReportImage[] = [];
          const measured: { fraction: number | null; trueLabel: number | null; predicted: number }[] = [];
          let method = args.method;
          let layer = args.layer ?? '';
          for await (const r of camImages(model, sources, {
            method: args.method,
            ...(args.layer !== undefined ? { layer: args.layer } : {}),
            ...(targetClass !== undefined ? { targetClass } : {}),
            batchSize,
            colormap: args.colormap,
            opacity: args.opacity,
            ...(args.report ? { thumbnails: REPORT_THUMBNAIL } : {}),
          })) {
            const source = r.input;
            const path = join(outDir, source.output);
            mkdirSync(dirname(path), { recursive: true });
            writeFileSync(path, encodeRgbPng(r.overlay!));
            method = r.method;
            layer = r.layer;
            measured.push({ fraction: r.lungFraction, trueLabel: source.label, predicted: r.predicted });
            if (r.thumbnails) {
              reportImages.push({
                name: source.relative,
                original: r.thumbnails.original,
                overlay: r.thumbnails.overlay,
                trueLabel: source.label,
                predicted: r.predicted,
                mapClass: r.classIndex,
                probability: r.probabilities[r.classIndex]!,
                lungFraction: r.lungFraction,
              });
            }
            if (args.json) {
              results.push({
                file: source.file,
                class: r.classIndex,
                label: classNames[r.classIndex],
                prob: r.probabilities[r.classIndex],
                method: r.method,
                layer: r.layer,
                height: r.height,
                width: r.width,
                map: Array.from(r.map),
                predicted: classNames[r.predicted],
                trueLabel: source.label === null ? null : classNames[source.label],
                lungFraction: r.lungFraction,
                overlay: path,
              });
            }
            progress.tick();
          }
          progress.done();

          const labelled = sources.filter((s) => s.label !== null);
          const evaluation = labelled.length > 0
            ? evaluate(
                measured.filter((m) => m.trueLabel !== null).map((m) => m.trueLabel!),
                measured.filter((m) => m.trueLabel !== null).map((m) => m.predicted),
                classNames,
              )
            : null;
          const lung = args.masks ? summarizeLungFractions(measured, classNames) : null;
          let reportPath: string | null = null;
          if (args.report) {
            reportPath = join(outDir, 'report.html');
            writeFileSync(
              reportPath,
              renderReport({
                title: `${method === 'cam' ? 'CAM' : method === 'gradcam' ? 'Grad-CAM' : 'Grad-CAM++'} of ${args.model} (${args.weights})`,
                details: [
                  `model ${args.model}, weights ${args.weights}, classes ${classNames.join(', ')}`,
                  `method ${method}, layer ${layer}, class ${targetClass === undefined ? 'predicted' : classNames[targetClass]}`,
                  `colour map ${args.colormap}, opacity ${args.opacity}`,
                  `${sources.length} images from ${(args.images as string[]).join(', ')}`,
                ],
                classNames,
                images: reportImages,
                evaluation,
                lung,
              }),
            );
          }
          if (args.json) {
            process.stdout.write(
              `${JSON.stringify({ results, ...(lung ? { lungFraction: lung } : {}), ...(evaluation ? { evaluation } : {}), out: outDir, report: reportPath })}\n`,
            );
            return;
          }
          const lines = [`wrote ${sources.length} ${method} overlays (layer ${layer}) to ${outDir}`];
          if (lung) {
            lines.push(
              `inside-lung fraction: mean ${formatShare(lung.overall)} over ${lung.count} images; by ${lung.groupedBy} class: ` +
                lung.perClass.map((c) => `${c.name} ${formatShare(c.mean)} (${c.count})`).join(', '),
            );
          }
          if (evaluation) lines.push('', formatReport(evaluation));
          if (reportPath) lines.push('', `report: ${reportPath}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        } finally {
          model.dispose();
        }
      });
    },
  );
}

/** --class as an index or name of the model's classes; out of range is a usage error. */
function classFlag(value: string, classNames: readonly string[]): number {
  try {
    return resolveClass(value, classNames);
  } catch (error) {
    if (error instanceof CamError) throw new UsageError(`--class ${value}: ${error.message}`);
    throw error;
  }
}

function formatShare(v: number | null): string {
  return v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`;
}

/** "cam 40/200 images, 3.1 images/s, ETA 00:51" on stderr: redrawn on a terminal, every few seconds on a pipe. */
class CamProgress {
  private done_ = 0;
  private readonly started = performance.now();
  private lastPlain = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly total: number, private readonly quiet: boolean) {}

  tick(): void {
    this.done_++;
    if (this.quiet) return;
    const now = performance.now();
    if (!this.tty && now - this.lastPlain < 10_000 && this.done_ < this.total) return;
    this.lastPlain = now;
    const rate = this.done_ / ((now - this.started) / 1000);
    const text = `cam ${this.done_}/${this.total} images, ${rate.toFixed(1)} images/s, ETA ${formatDuration((this.total - this.done_) / rate)}`;
    process.stderr.write(this.tty ? `\r${text}\x1b[K` : `${text}\n`);
  }

  done(): void {
    if (!this.quiet && this.tty) process.stderr.write('\n');
  }
}
