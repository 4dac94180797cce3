/**
 * `cnnx eval`: confusion matrix and per-class sensitivity/specificity of a model on a labelled folder, and the peak
 * GPU memory of the run (the pool's live bytes: weights, a batch and its activations) in --json or on stderr.
 */
import type { Argv } from 'yargs';
import { loadDataset } from '../../data/dataset.js';
import { modelNames } from '../../models/registry.js';
import { evaluate, formatReport } from '../../train/metrics.js';
import { predictItems } from '../../train/run_model.js';
import { datasetOptions, decodePoolOf, positiveInteger, withDataOptions } from '../data_options.js';
import { withGpu } from '../device.js';
import { UsageError } from '../errors.js';
import { loadModel, readCheckpointFile } from '../load_model.js';

export function registerEval(cli: Argv): Argv {
  return cli.command(
    'eval',
    'evaluate a model on a labelled folder (its test/ split when it has one)',
    (y) =>
      withDataOptions(y)
        .option('model', { type: 'string', default: 'cnnx', describe: `one of: ${modelNames().join(', ')}` })
        .option('weights', { type: 'string', demandOption: true, describe: 'checkpoint or weights file' })
        .option('batch-size', { type: 'number', default: 15 })
        .option('json', { type: 'boolean', default: false }),
    async (args) => {
      const batchSize = positiveInteger(args['batch-size'], '--batch-size')!;
      const decoder = decodePoolOf(args);
      const data = loadDataset(args.data, datasetOptions(args, 0));
      const split = data.test ?? data.train;
      const checkpoint = readCheckpointFile(args.weights);
      await withGpu(async (gpu) => {
        const { model, classNames } = loadModel(gpu, args.model, args.weights, {}, checkpoint);
        try {
          if (split.classNames.length !== model.numClasses) {
            throw new UsageError(
              `${args.data}: has ${split.classNames.length} classes (${split.classNames.join(', ')}) but ${args.weights} predicts ${model.numClasses} (${classNames.join(', ')})`,
            );
          }
          gpu.pool.resetPeak();
          const p = await predictItems(model, split.items, { batchSize, decoder });
          const peakGpuBytes = gpu.poolStats().peakInUseBytes;
          const report = evaluate(split.items.map((i) => i.label), p.predicted, split.classNames);
          process.stdout.write(args.json ? `${JSON.stringify({ ...report, peakGpuBytes }, null, 2)}\n` : `${formatReport(report)}\n`);
          if (!args.json) process.stderr.write(`peak GPU memory: ${(peakGpuBytes / 2 ** 20).toFixed(1)} MiB\n`);
        } finally {
          model.dispose();
        }
      });
    },
  );
}
