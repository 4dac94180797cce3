/** `cnnx data synth`: writes the built-in synthetic chest radiograph data set. */
import { existsSync, readdirSync } from 'node:fs';
import type { Argv } from 'yargs';
import { CANONICAL_CLASSES, canonicalClassName } from '../../data/class_names.js';
import { CONFOUNDER_KINDS, type ConfounderKind } from '../../data/confounders.js';
import { generateSynthetic } from '../../data/synth.js';
import { ThreadPool } from '../../data/thread_pool.js';
import { UsageError } from '../errors.js';
import { checkWritableFolder } from '../output_path.js';

export function registerData(cli: Argv): Argv {
  return cli.command('data', 'data set tools', (y) =>
    y
      .command(
        'synth',
        'generate synthetic chest X-rays (4 classes, lung masks, optional confounders)',
        (s) =>
          s
            .option('out', { type: 'string', demandOption: true, describe: 'output folder (train/, test/, masks/)' })
            .option('per-class', { type: 'number', default: 200, describe: 'images per class (train + test)' })
            .option('size', { type: 'number', default: 224, describe: 'image side in pixels' })
            .option('seed', { type: 'number', default: 0 })
            .option('train-fraction', { type: 'number', default: 0.8 })
            .option('confounder', { choices: [...CONFOUNDER_KINDS], describe: 'burn in a marker, text or ECG leads' })
            .option('confounder-rate', {
              type: 'number',
              default: 0.9,
              describe: 'share of the target class carrying it (others: 1 - rate)',
            })
            .option('confounder-class', { type: 'string', default: 'covid' })
            .option('workers', {
              type: 'number',
              describe:
                `threads drawing images (default ${ThreadPool.defaultWorkers(0)} here: one per core, at most 8; ` +
                '0: the main thread; the files are the same either way)',
            }),
        async (args) => {
          if (!(Number.isInteger(args['per-class']) && args['per-class'] >= 2)) {
            throw new UsageError(`--per-class must be an integer of at least 2, got ${args['per-class']}`);
          }
          if (!(Number.isInteger(args.size) && args.size >= 32)) throw new UsageError(`--size must be an integer of at least 32, got ${args.size}`);
          if (!(args['train-fraction'] > 0 && args['train-fraction'] <= 1)) {
            throw new UsageError(`--train-fraction must be in (0, 1], got ${args['train-fraction']}`);
          }
          if (!(args['confounder-rate'] >= 0 && args['confounder-rate'] <= 1)) {
            throw new UsageError(`--confounder-rate must be in [0, 1], got ${args['confounder-rate']}`);
          }
          if (args.workers !== undefined && !(Number.isInteger(args.workers) && args.workers >= 0)) {
            throw new UsageError(`--workers must be an integer >= 0, got ${args.workers}`);
          }
          if (!canonicalClassName(args['confounder-class'])) {
            throw new UsageError(`--confounder-class ${args['confounder-class']}: not one of ${CANONICAL_CLASSES.join(', ')}`);
          }
          const out = checkWritableFolder(args.out, '--out');
          if (existsSync(out) && readdirSync(out).length > 0) {
            throw new UsageError(`--out ${args.out}: folder is not empty; synthetic data is only written into an empty folder`);
          }
          const started = performance.now();
          const manifest = await generateSynthetic({
            outDir: args.out,
            perClass: args['per-class'],
            size: args.size,
            seed: args.seed,
            trainFraction: args['train-fraction'],
            ...(args.workers !== undefined ? { workers: args.workers } : {}),
            ...(args.confounder
              ? { confounder: { kind: args.confounder as ConfounderKind, rate: args['confounder-rate'], class: args['confounder-class'] } }
              : {}),
          });
          const seconds = (performance.now() - started) / 1000;
          process.stdout.write(
            `wrote ${manifest.images.length} images (${manifest.classes.join(', ')}) with lung masks to ${args.out} in ${seconds.toFixed(1)} s\n`,
          );
        },
      )
      .demandCommand(1, 'name a data command: synth'),
  );
}
