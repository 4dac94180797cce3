/**
 * `cnnx train`: trains a model on a folder data set with the paper's defaults (Adam, lr 3e-4, batch 15,
 * 20 epochs, Glorot), writing after every epoch an atomic checkpoint and the run folder (config.json,
 * metrics.jsonl, curves.svg, eval.json). `--resume` continues from the checkpoint to the same result.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { ImageCache } from '../../data/batches.js';
import { loadDataset } from '../../data/dataset.js';
import { createRng } from '../../data/prng.js';
import type { Classifier } from '../../models/classifier.js';
import { modelEntry, modelNames } from '../../models/registry.js';
import { Adam } from '../../train/adam.js';
import { writeFileAtomic } from '../../train/atomic_write.js';
import { encodeCheckpoint } from '../../train/checkpoint.js';
import { curvesSvg } from '../../train/curves_plot.js';
import { formatReport } from '../../train/metrics.js';
import { Progress } from '../../train/progress.js';
import { train, type EpochRecord, type TrainConfig } from '../../train/trainer.js';
import { datasetOptions, positiveInteger, withDataOptions } from '../data_options.js';
import { withGpu } from '../device.js';
import { UsageError } from '../errors.js';
import { readCheckpointFile } from '../load_model.js';
import { ensureFolder, ensureWritable } from '../output_path.js';

export function registerTrain(cli: Argv): Argv {
  return cli.command(
    'train',
    'train a model on a folder of chest X-rays (defaults: the paper\'s Adam 3e-4, batch 15, 20 epochs)',
    (y) =>
      withDataOptions(y)
        .option('model', { type: 'string', default: 'cnnx', describe: `one of: ${modelNames().join(', ')}` })
        .option('out', { type: 'string', demandOption: true, describe: 'checkpoint to write after every epoch (.safetensors)' })
        .option('init', { type: 'string', describe: 'start from these weights (safetensors or .pth)' })
        .option('epochs', { type: 'number', default: 20 })
        .option('batch-size', { type: 'number', default: 15 })
        .option('lr', { type: 'number', default: 3e-4 })
        .option('weight-decay', { type: 'number', default: 0, describe: 'L2 penalty added to gradients (Adam)' })
        .option('seed', { type: 'number', default: 0, describe: 'initial weights, shuffling and hold-outs' })
        .option('shuffle', { type: 'boolean', default: true, describe: 'reshuffle each epoch (--no-shuffle to keep file order)' })
        .option('input-size', { type: 'number', describe: 'image side the model sees (CNN-X default 224)' })
        .option('num-classes', { type: 'number', describe: 'classes of the head (default: the data set\'s)' })
        .option('run-dir', { type: 'string', describe: 'run folder (default: beside --out, named after it)' })
        .option('resume', { type: 'boolean', default: false, describe: 'continue from the checkpoint at --out' })
        .option('cache-mb', { type: 'number', default: 1024, describe: 'memory for decoded images' })
        .option('quiet', { type: 'boolean', default: false }),
    async (args) => {
      const config: TrainConfig = {
        epochs: positiveInteger(args.epochs, '--epochs')!,
        batchSize: positiveInteger(args['batch-size'], '--batch-size')!,
        lr: args.lr,
        weightDecay: args['weight-decay'],
        seed: args.seed,
        shuffle: args.shuffle,
      };
      if (!(config.lr > 0)) throw new UsageError(`--lr must be positive, got ${config.lr}`);
      if (!(config.weightDecay >= 0)) throw new UsageError(`--weight-decay must be >= 0, got ${config.weightDecay}`);
      const entry = modelEntry(args.model);
      const inputSize = positiveInteger(args['input-size'], '--input-size');
      const out = ensureWritable(args.out, '--out');
      const runDir = ensureFolder(args['run-dir'] ?? join(dirname(out), `${basename(out).replace(/\.safetensors$/, '')}-run`), '--run-dir');
      const data = loadDataset(args.data, datasetOptions(args, config.seed));
      const classNames = data.train.classNames;
      const numClasses = positiveInteger(args['num-classes'], '--num-classes') ?? classNames.length;
      if (numClasses < classNames.length) {
        throw new UsageError(`--num-classes ${numClasses} is fewer than the data set's ${classNames.length} classes (${classNames.join(', ')})`);
      }
      const resumeFrom = args.resume && existsSync(out) ? readCheckpointFile(out) : null;
      if (args.resume && !resumeFrom) process.stderr.write(`cnnx: no checkpoint at ${args.out} yet; starting from the beginning\n`);
      const trainRecord = {
        model: args.model,
        data: args.data,
        classNames,
        ...config,
        inputSize: inputSize ?? null,
        numClasses,
        init: args.init ?? null,
      };
      if (resumeFrom) checkResumable(resumeFrom.meta?.train, trainRecord, args.out);
      const progress = new Progress({ quiet: args.quiet });

      await withGpu(async (gpu) => {
        const ctx = { gpu, rng: createRng(config.seed) };
        const model: Classifier = entry.build(ctx, { numClasses, ...(inputSize ? { inputSize } : {}) }, resumeFrom?.meta?.modelConfig);
        const optimizer = new Adam(model.namedParameters(), { lr: config.lr, weightDecay: config.weightDecay });
        try {
          let startEpoch = 0;
          if (resumeFrom) {
            model.loadStateDict(resumeFrom.model);
            optimizer.loadStateDict(resumeFrom.optimizer);
            startEpoch = resumeFrom.meta?.epoch ?? 0;
            progress.log(`resuming ${args.out} after epoch ${startEpoch}`);
          } else if (args.init) {
            const init = readCheckpointFile(args.init);
            try {
              model.loadStateDict(init.model);
            } catch (error) {
              if (error instanceof Error) error.message = `${args.init}: ${error.message}`;
              throw error;
            }
          }
          writeFileSync(join(runDir, 'config.json'), `${JSON.stringify({ ...trainRecord, modelConfig: entry.configOf(model) }, null, 2)}\n`);
          const history = readHistory(join(runDir, 'metrics.jsonl'), startEpoch);
          progress.log(
            `training ${args.model} (${model.numParameters().toLocaleString('en-US')} parameters) on ${data.train.items.length} images` +
              `${data.test ? `, testing on ${data.test.items.length}` : ''}; classes: ${classNames.join(', ')}; ` +
              `${gpu.info.description || gpu.info.device}`,
          );
          await train({
            model,
            optimizer,
            train: data.train,
            ...(data.test ? { test: data.test } : {}),
            config,
            startEpoch,
            progress,
            cache: new ImageCache(args['cache-mb'] * 1024 * 1024),
            onEpoch: async (record, state) => {
              const bytes = encodeCheckpoint(await state.model.stateDict(), await state.optimizer.stateDict(), {
                model: args.model,
                modelConfig: entry.configOf(state.model),
                classNames,
                epoch: record.epoch,
                step: record.step,
                train: trainRecord,
              });
              writeFileAtomic(out, bytes);
              history.push(record);
              writeFileSync(join(runDir, 'metrics.jsonl'), history.map((r) => JSON.stringify(r)).join('\n') + '\n');
              writeFileSync(
                join(runDir, 'curves.svg'),
                curvesSvg(
                  history.map((r) => ({
                    epoch: r.epoch,
                    trainLoss: r.trainLoss,
                    trainAccuracy: r.trainAccuracy,
                    testLoss: r.testLoss,
                    testAccuracy: r.test?.accuracy ?? null,
                  })),
                  `${args.model} on ${basename(args.data)}`,
                ),
              );
              if (record.test) writeFileSync(join(runDir, 'eval.json'), `${JSON.stringify(record.test, null, 2)}\n`);
            },
          });
          const last = history[history.length - 1];
          if (last?.test) process.stdout.write(`\ntest split after epoch ${last.epoch}:\n${formatReport(last.test)}\n`);
          process.stdout.write(`\ncheckpoint: ${args.out}\nrun folder: ${runDir}\n`);
        } finally {
          optimizer.dispose();
          model.dispose();
        }
      });
    },
  );
}

/** A resumed run must be the same run: same model, data, classes and hyper-parameters (more epochs allowed). */
function checkResumable(recorded: Record<string, unknown> | undefined, now: Record<string, unknown>, path: string): void {
  if (!recorded) throw new UsageError(`${path}: has no training record to resume from (was it written by cnnx train?)`);
  const differences = Object.keys(now)
    .filter((key) => key !== 'epochs')
    .filter((key) => JSON.stringify(recorded[key] ?? null) !== JSON.stringify(now[key] ?? null))
    .map((key) => `${key}: checkpoint ${JSON.stringify(recorded[key])}, now ${JSON.stringify(now[key])}`);
  if (differences.length > 0) {
    throw new UsageError(`${path}: --resume must repeat the original run's options; they differ:\n  ${differences.join('\n  ')}`);
  }
}

/** Earlier epochs of a resumed run (later lines, from epochs after the checkpoint, are dropped). */
function readHistory(path: string, upToEpoch: number): EpochRecord[] {
  if (upToEpoch === 0 || !existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EpochRecord)
    .filter((r) => r.epoch <= upToEpoch);
}

