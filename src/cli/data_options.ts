/** The data flags shared by train, eval and experiment, and turning them into loadDataset options. */
import type { Argv } from 'yargs';
import { DecodePool } from '../data/decode_pool.js';
import type { LoadDatasetOptions } from '../data/dataset.js';
import type { Scenario } from '../data/scenarios.js';
import { UsageError } from './errors.js';

export function withDataOptions<T>(y: Argv<T>) {
  return y
    .option('data', { type: 'string', demandOption: true, describe: 'data set folder (ImageFolder layout, or train/ + test/)' })
    .option('scenario', { type: 'number', choices: [1, 2, 3], describe: "the paper's set-ups: 1 normal vs covid, 2 four classes, 3 four classes with <= 350 per non-COVID class" })
    .option('classes', { type: 'string', describe: 'comma-separated classes to keep, in label order' })
    .option('max-per-class', { type: 'number', describe: 'at most this many training images per class' })
    .option('val-split', { type: 'number', describe: 'hold out this fraction of each class as the test split' })
    .option('split-train', { type: 'string', describe: 'COVIDx-style split file for training (patient_id filename label source)' })
    .option('split-test', { type: 'string', describe: 'COVIDx-style split file for testing' })
    .option(...DECODE_WORKERS_OPTION);
}

export const DECODE_WORKERS_OPTION = [
  'decode-workers',
  {
    type: 'number',
    describe:
      `threads decoding images (default ${DecodePool.defaultWorkers()} here: one per core but one, at most 8; ` +
      '0: the main thread)',
  },
] as const;

/**
 * The pool --decode-workers asks for, null for the main thread, or undefined without the flag (the loader then uses
 * the process's shared pool).
 */
export function decodePoolOf(args: { 'decode-workers'?: number }): DecodePool | null | undefined {
  const workers = args['decode-workers'];
  if (workers === undefined) return undefined;
  if (!Number.isInteger(workers) || workers < 0) {
    throw new UsageError(`--decode-workers must be an integer >= 0, got ${workers}`);
  }
  return DecodePool.open(workers);
}

export interface DataArgs {
  scenario?: number;
  classes?: string;
  'max-per-class'?: number;
  'val-split'?: number;
  'split-train'?: string;
  'split-test'?: string;
}

export function datasetOptions(args: DataArgs, seed: number): LoadDatasetOptions {
  if (args.scenario !== undefined && args.classes !== undefined) throw new UsageError('--scenario and --classes cannot be used together');
  if (args['max-per-class'] !== undefined && !(Number.isInteger(args['max-per-class']) && args['max-per-class'] > 0)) {
    throw new UsageError(`--max-per-class must be a positive integer, got ${args['max-per-class']}`);
  }
  if (args['val-split'] !== undefined && !(args['val-split'] > 0 && args['val-split'] < 1)) {
    throw new UsageError(`--val-split must be between 0 and 1, got ${args['val-split']}`);
  }
  if (args['split-test'] && !args['split-train']) throw new UsageError('--split-test needs --split-train');
  return {
    seed,
    ...(args.scenario !== undefined ? { scenario: args.scenario as Scenario } : {}),
    ...(args.classes !== undefined ? { classes: args.classes.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
    ...(args['max-per-class'] !== undefined ? { maxPerClass: args['max-per-class'] } : {}),
    ...(args['val-split'] !== undefined ? { valSplit: args['val-split'] } : {}),
    ...(args['split-train']
      ? { splitFiles: { train: args['split-train'], ...(args['split-test'] ? { test: args['split-test'] } : {}) } }
      : {}),
  };
}

export function positiveInteger(value: number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${flag} must be a positive integer, got ${value}`);
  return value;
}
