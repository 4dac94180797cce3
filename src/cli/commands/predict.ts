/**
 * `cnnx predict`: logits, probabilities and the predicted label of each image (batch norm in eval mode), and the
 * peak GPU memory of the run (the pool's live bytes: weights, a batch and its activations) in --json or on stderr.
 */
import type { Argv } from 'yargs';
import { modelNames } from '../../models/registry.js';
import { predictItems } from '../../train/run_model.js';
import { collectImages } from '../image_args.js';
import { DECODE_WORKERS_OPTION, decodePoolOf, positiveInteger } from '../data_options.js';
import { withGpu } from '../device.js';
import { loadModel, readCheckpointFile } from '../load_model.js';

export function registerPredict(cli: Argv): Argv {
  return cli.command(
    'predict <images..>',
    'classify images (files or folders)',
    (y) =>
      y
        .positional('images', { type: 'string', array: true, demandOption: true })
        .option('model', { type: 'string', default: 'cnnx', describe: `one of: ${modelNames().join(', ')}` })
        .option('weights', { type: 'string', demandOption: true, describe: 'checkpoint or weights file' })
        .option('batch-size', { type: 'number', default: 15 })
        .option(...DECODE_WORKERS_OPTION)
        .option('json', { type: 'boolean', default: false }),
    async (args) => {
      const batchSize = positiveInteger(args['batch-size'], '--batch-size')!;
      const decoder = decodePoolOf(args);
      const files = collectImages(args.images as string[]);
      const checkpoint = readCheckpointFile(args.weights);
      await withGpu(async (gpu) => {
        const { model, classNames } = loadModel(gpu, args.model, args.weights, {}, checkpoint);
        try {
          gpu.pool.resetPeak();
          const p = await predictItems(model, files.map((file) => ({ file })), { batchSize, decoder });
          const peakGpuBytes = gpu.poolStats().peakInUseBytes;
          const results = files.map((file, i) => ({
            file,
            logits: [...p.logits[i]!],
            probs: [...p.probabilities[i]!],
            label: classNames[p.predicted[i]!]!,
          }));
          if (args.json) {
            process.stdout.write(`${JSON.stringify({ results, peakGpuBytes })}\n`);
            return;
          }
          for (const r of results) {
            const probs = r.probs.map((v, c) => `${classNames[c]} ${(100 * v).toFixed(1)}%`).join(', ');
            process.stdout.write(`${r.file}: ${r.label} (${probs})\n`);
          }
          process.stderr.write(`peak GPU memory: ${(peakGpuBytes / 2 ** 20).toFixed(1)} MiB\n`);
        } finally {
          model.dispose();
        }
      });
    },
  );
}
