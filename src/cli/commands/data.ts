/** `cnnx data synth`: writes the built-in synthetic chest radiograph data set. */
import type { Argv } from 'yargs';
import { CONFOUNDER_KINDS, type ConfounderKind } from '../../data/confounders.js';
import { generateSynthetic } from '../../data/synth.js';
import { UsageError } from '../errors.js';

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
            .option('confounder-class', { type: 'string', default: 'covid' }),
        async (args) => {
          if (!(args['per-class'] >= 2)) throw new UsageError(`--per-class must be at least 2, got ${args['per-class']}`);
          if (!(args.size >= 32)) throw new UsageError(`--size must be at least 32, got ${args.size}`);
          if (!(args['confounder-rate'] >= 0 && args['confounder-rate'] <= 1)) {
            throw new UsageError(`--confounder-rate must be in [0, 1], got ${args['confounder-rate']}`);
          }
          const started = performance.now();
          const manifest = await generateSynthetic({
            outDir: args.out,
            perClass: args['per-class'],
            size: args.size,
            seed: args.seed,
            trainFraction: args['train-fraction'],
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
