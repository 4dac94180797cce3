/**
 * `cnnx experiment`: the paper's comparison. Every model is trained (from ImageNet weights in --weights-dir
 * when a file for it is there, otherwise from scratch, as the table says) and evaluated on the test split, and
 * per-class sensitivity and specificity are gathered into one table like the paper's Table 2, as markdown and
 * JSON. Each model runs in its own `cnnx train` / `cnnx eval` process, so one model's GPU memory is given back
 * before the next starts and a model that fails is reported in the table instead of ending the comparison.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { modelEntry, modelNames } from '../../models/registry.js';
import type { EvalReport } from '../../train/metrics.js';
import { positiveInteger, withDataOptions } from '../data_options.js';
import { UsageError } from '../errors.js';
import { checkWritableFolder } from '../output_path.js';

/** CNN-X and the 12 ImageNet CNNs of the paper, in its order. */
export const PAPER_MODELS = [
  'alexnet', 'vgg16', 'vgg19', 'resnet18', 'resnet50', 'resnet101', 'googlenet', 'inception_v3',
  'squeezenet1_0', 'inception_resnet_v2', 'xception', 'densenet201', 'cnnx',
];

const CLI = fileURLToPath(new URL('../../../bin/cnnx.js', import.meta.url));
const DATA_FLAGS = [
  'scenario', 'classes', 'max-per-class', 'val-split', 'split-train', 'split-test', 'decode-workers',
] as const;

interface ModelResult {
  model: string;
  init: string | null;
  report: EvalReport | null;
  error: string | null;
  seconds: number;
}

export function registerExperiment(cli: Argv): Argv {
  return cli.command(
    'experiment',
    "train and evaluate several models and tabulate per-class sensitivity/specificity (the paper's Table 2)",
    (y) =>
      withDataOptions(y)
        .option('models', { type: 'string', default: 'all', describe: `comma-separated, or "all" (${PAPER_MODELS.join(', ')})` })
        .option('weights-dir', { type: 'string', describe: 'ImageNet weights, one file per model: <model>.pth or <model>.safetensors' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder for checkpoints, table.md and results.json' })
        .option('epochs', { type: 'number', default: 20 })
        .option('batch-size', { type: 'number', default: 15 })
        .option('lr', { type: 'number', default: 3e-4 })
        .option('seed', { type: 'number', default: 0 })
        .option('input-size', { type: 'number', describe: 'override every model\'s input size (smaller runs)' }),
    async (args) => {
      const models = args.models === 'all' ? PAPER_MODELS : args.models.split(',').map((m) => m.trim()).filter(Boolean);
      models.forEach((m) => modelEntry(m));
      positiveInteger(args.epochs, '--epochs');
      positiveInteger(args['batch-size'], '--batch-size');
      if (args['weights-dir'] && !existsSync(args['weights-dir'])) throw new UsageError(`--weights-dir ${args['weights-dir']}: no such folder`);
      const out = checkWritableFolder(args.out, '--out');
      mkdirSync(out, { recursive: true });
      const dataFlags = DATA_FLAGS.flatMap((flag) => (args[flag] !== undefined ? [`--${flag}`, String(args[flag])] : []));
      const results: ModelResult[] = [];
      for (const model of models) {
        const started = performance.now();
        const init = findWeights(args['weights-dir'], model);
        const checkpoint = join(out, `${model}.safetensors`);
        process.stderr.write(`\n== ${model}${init ? ` from ${init}` : ' from scratch'}\n`);
        const trained = spawnSync(
          process.execPath,
          [
            CLI, 'train', '--model', model, '--data', args.data, ...dataFlags,
            '--epochs', String(args.epochs), '--batch-size', String(args['batch-size']), '--lr', String(args.lr),
            '--seed', String(args.seed), '--out', checkpoint, '--run-dir', join(out, `${model}-run`),
            ...(init ? ['--init', init] : []),
            ...(args['input-size'] ? ['--input-size', String(args['input-size'])] : []),
          ],
          { stdio: ['ignore', 'inherit', 'inherit'] },
        );
        let result: ModelResult = { model, init, report: null, error: null, seconds: 0 };
        if (trained.status !== 0) {
          result.error = `training failed (exit ${trained.status ?? trained.signal})`;
        } else {
          const evaluated = spawnSync(
            process.execPath,
            [CLI, 'eval', '--model', model, '--weights', checkpoint, '--data', args.data, ...dataFlags, '--json'],
            { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
          );
          result = evaluated.status === 0
            ? { ...result, report: JSON.parse(evaluated.stdout) as EvalReport }
            : { ...result, error: `evaluation failed (exit ${evaluated.status ?? evaluated.signal})` };
        }
        result.seconds = (performance.now() - started) / 1000;
        results.push(result);
        writeFileSync(join(out, 'results.json'), `${JSON.stringify({ data: args.data, results }, null, 2)}\n`);
        writeFileSync(join(out, 'table.md'), markdownTable(results));
      }
      process.stdout.write(`\n${markdownTable(results)}\nwrote ${join(args.out, 'table.md')} and results.json\n`);
    },
  );
}

function findWeights(dir: string | undefined, model: string): string | null {
  if (!dir) return null;
  for (const ext of ['safetensors', 'pth', 'pt']) {
    const path = join(dir, `${model}.${ext}`);
    if (existsSync(path)) return path;
  }
  return null;
}

/** One row per model; per class Sn and Sp in percent, as in the paper's Table 2. */
export function markdownTable(results: readonly ModelResult[]): string {
  const classes = results.find((r) => r.report)?.report?.classNames ?? [];
  const head = ['model', 'init', ...classes.flatMap((c) => [`${c} Sn`, `${c} Sp`]), 'accuracy'];
  const pct = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : (100 * v).toFixed(1));
  const rows = results.map((r) =>
    r.report
      ? [r.model, r.init ? 'ImageNet' : 'scratch', ...r.report.perClass.flatMap((c) => [pct(c.sensitivity), pct(c.specificity)]), pct(r.report.accuracy)]
      : [r.model, r.init ? 'ImageNet' : 'scratch', ...classes.flatMap(() => ['-', '-']), r.error ?? 'failed'],
  );
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n') + '\n';
}
