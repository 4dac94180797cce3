/**
 * `cnnx train`: trains a model on a folder data set with the paper's defaults (Adam, lr 3e-4, batch 15,
 * 20 epochs, Glorot), writing after every epoch an atomic checkpoint and the run folder (config.json,
 * metrics.jsonl, curves.svg, eval.json). Nothing is written before the first epoch ends, so a run refused for bad
 * input leaves no trace. `--resume` continues from the checkpoint to the same result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { DEFAULT_CACHE_BYTES, ImageCache } from '../../data/image_cache.js';
import { loadDataset } from '../../data/dataset.js';
import { createRng } from '../../data/prng.js';
import type { Tensor } from '../../graph/tensor.js';
import type { Classifier } from '../../models/classifier.js';
import { loadWeights } from '../../models/load_weights.js';
import { modelEntry, modelNames } from '../../models/registry.js';
import { Adam } from '../../train/adam.js';
import { MAX_IMAGE_PIXELS } from '../../io/image.js';
import type { WeightMap } from '../../io/weight_tensor.js';
import { removeStaleTemporaries, writeFileAtomic } from '../../train/atomic_write.js';
import { encodeCheckpoint } from '../../train/checkpoint.js';
import { curvesSvg } from '../../train/curves_plot.js';
import { formatReport } from '../../train/metrics.js';
import { Progress } from '../../train/progress.js';
import { assertFiniteState, train, TrainingDivergedError, type EpochRecord, type TrainConfig } from '../../train/trainer.js';
import { datasetOptions, decodePoolOf, positiveInteger, withDataOptions } from '../data_options.js';
import { withGpu } from '../device.js';
import { OutputError, UsageError } from '../errors.js';
import { readCheckpointFile } from '../load_model.js';
import { checkWritableFile, checkWritableFolder, ensureParentFolder } from '../output_path.js';

export function registerTrain(cli: Argv): Argv {
  return cli.command(
    'train',
    'train a model on a folder of chest X-rays (defaults: the paper\'s Adam 3e-4, batch 15, 20 epochs)',
    (y) =>
      withDataOptions(y)
        .option('model', { type: 'string', default: 'cnnx', describe: `one of: ${modelNames().join(', ')}` })
        .option('out', { type: 'string', demandOption: true, describe: 'checkpoint to write after every epoch (.safetensors)' })
        .option('init', { type: 'string', describe: 'start from these weights (safetensors or .pth; a head for other classes is replaced)' })
        .option('freeze-backbone', { type: 'boolean', default: false, describe: 'train only the classifier head (default: every layer, as the paper)' })
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
        .option('cache-mb', {
          type: 'number',
          default: Math.round(DEFAULT_CACHE_BYTES / 2 ** 20),
          describe: 'memory for decoded images (default: a quarter of this machine\'s, at least 1,024)',
        })
        .option('quiet', { type: 'boolean', default: false }),
    async (args) => {
      // Everything that can be refused is checked before the GPU opens and before anything is written: flags,
      // the output paths (probed, not created), the data lists and the weight files.
      const config: TrainConfig = {
        epochs: positiveInteger(args.epochs, '--epochs')!,
        batchSize: positiveInteger(args['batch-size'], '--batch-size')!,
        lr: args.lr,
        weightDecay: args['weight-decay'],
        seed: args.seed,
        shuffle: args.shuffle,
      };
      if (!(config.lr > 0 && Number.isFinite(config.lr))) throw new UsageError(`--lr must be a positive number, got ${config.lr}`);
      if (!(config.weightDecay >= 0 && Number.isFinite(config.weightDecay))) {
        throw new UsageError(`--weight-decay must be a number >= 0, got ${config.weightDecay}`);
      }
      if (!(Number.isInteger(config.seed) && config.seed >= 0 && config.seed < 2 ** 32)) {
        throw new UsageError(`--seed must be an integer from 0 to ${2 ** 32 - 1}, got ${config.seed}`);
      }
      if (!(args['cache-mb'] >= 0)) throw new UsageError(`--cache-mb must be a number >= 0, got ${args['cache-mb']}`);
      const decoder = decodePoolOf(args);
      const entry = modelEntry(args.model);
      const inputSize = positiveInteger(args['input-size'], '--input-size');
      if (inputSize !== undefined && inputSize * inputSize > MAX_IMAGE_PIXELS) {
        throw new UsageError(`--input-size ${inputSize}: over the image size limit of ${MAX_IMAGE_PIXELS} pixels (MAX_IMAGE_PIXELS)`);
      }
      const out = checkWritableFile(args.out, '--out');
      const runDir = checkWritableFolder(args['run-dir'] ?? join(dirname(out), `${basename(out).replace(/\.safetensors$/, '')}-run`), '--run-dir');
      const data = loadDataset(args.data, datasetOptions(args, config.seed));
      const classNames = data.train.classNames;
      const numClasses = positiveInteger(args['num-classes'], '--num-classes') ?? classNames.length;
      if (numClasses < classNames.length) {
        throw new UsageError(`--num-classes ${numClasses} is fewer than the data set's ${classNames.length} classes (${classNames.join(', ')})`);
      }
      const resumeFrom = args.resume && existsSync(out) ? readCheckpointFile(out) : null;
      if (args.resume && !resumeFrom) process.stderr.write(`cnnx: no checkpoint at ${args.out} yet; starting from the beginning\n`);
      const init = !resumeFrom && args.init ? readCheckpointFile(args.init) : null;
      const trainRecord = {
        model: args.model,
        data: args.data,
        classNames,
        ...config,
        inputSize: inputSize ?? null,
        numClasses,
        init: args.init ?? null,
        freezeBackbone: args['freeze-backbone'],
      };
      if (args['freeze-backbone'] && !entry.headPrefixes) throw new UsageError(`--freeze-backbone: ${args.model} has no separate head to train`);
      if (resumeFrom) checkResumable(resumeFrom.meta?.train, trainRecord, args.out);
      for (const path of [out, ...RUN_FILES.map((name) => join(runDir, name))]) {
        for (const name of removeStaleTemporaries(path)) process.stderr.write(`cnnx: removed ${name}, left by a run killed while writing it\n`);
      }
      const progress = new Progress({ quiet: args.quiet });

      await withGpu(async (gpu) => {
        const ctx = { gpu, rng: createRng(config.seed) };
        const model = buildModel(() => entry.build(ctx, { numClasses, ...(inputSize ? { inputSize } : {}) }, resumeFrom?.meta?.modelConfig), args.model, inputSize);
        const trainable = trainableParameters(model, args['freeze-backbone'] ? entry.headPrefixes! : null);
        const optimizer = new Adam(trainable, { lr: config.lr, weightDecay: config.weightDecay });
        try {
          let startEpoch = 0;
          if (resumeFrom) {
            loadInto(model, resumeFrom.model, args.out);
            loadInto(optimizer, resumeFrom.optimizer, args.out);
            startEpoch = resumeFrom.meta?.epoch ?? 0;
            progress.log(`resuming ${args.out} after epoch ${startEpoch}`);
          } else if (init) {
            const loaded = loadInto({ loadStateDict: (map) => loadWeights(entry, model, map) }, init.model, args.init!);
            if (loaded.headSkipped) progress.log(`${args.init}: head (${loaded.kept.join(', ')}) replaced for ${numClasses} classes (Glorot init)`);
          }
          const history = readHistory(join(runDir, 'metrics.jsonl'), startEpoch);
          progress.log(
            `training ${args.model} (${model.numParameters().toLocaleString('en-US')} parameters) on ${data.train.items.length} images` +
              `${data.test ? `, testing on ${data.test.items.length}` : ''}; classes: ${classNames.join(', ')}; ` +
              `${gpu.info.description || gpu.info.device}`,
          );
          let savedEpoch = resumeFrom ? startEpoch : null;
          try {
            await train({
              model,
              optimizer,
              train: data.train,
              ...(data.test ? { test: data.test } : {}),
              config,
              startEpoch,
              progress,
              cache: new ImageCache(args['cache-mb'] * 1024 * 1024),
              decoder,
              onEpoch: async (record, state) => {
                const modelState = await state.model.stateDict();
                assertFiniteState(modelState, record.epoch, 'model weights');
                const optimizerState = await state.optimizer.stateDict();
                assertFiniteState(optimizerState, record.epoch, 'Adam moments');
                const bytes = encodeCheckpoint(modelState, optimizerState, {
                  model: args.model,
                  modelConfig: entry.configOf(state.model),
                  classNames,
                  epoch: record.epoch,
                  step: record.step,
                  train: trainRecord,
                });
                // The run folder first, the checkpoint last: a kill in between leaves metrics one epoch ahead of
                // the checkpoint, and --resume drops the lines after the checkpoint's epoch.
                history.push(record);
                writeRunFolder(runDir, history, { ...trainRecord, modelConfig: entry.configOf(state.model) }, `${args.model} on ${basename(args.data)}`);
                writeOutput(out, bytes);
                savedEpoch = record.epoch;
              },
            });
          } catch (error) {
            if (error instanceof Error) error.message += `\n${checkpointNote(args.out, savedEpoch, error)}`;
            throw error;
          }
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

/** A model whose options the flags made impossible (an input too small for its layers) is a usage error. */
function buildModel(build: () => Classifier, name: string, inputSize: number | undefined): Classifier {
  try {
    return build();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--model ${name}${inputSize ? ` --input-size ${inputSize}` : ''}: ${error.message}`);
    throw error;
  }
}

/** Loads a state dict, naming the file in the error that lists every misfit. */
function loadInto<R>(target: { loadStateDict(map: WeightMap): R }, map: WeightMap, path: string): R {
  try {
    return target.loadStateDict(map);
  } catch (error) {
    if (error instanceof Error) error.message = `${path}: ${error.message}`;
    throw error;
  }
}

/** Every parameter, or with `headPrefixes` only the head's; the others stop requiring gradients (no backward work). */
function trainableParameters(model: Classifier, headPrefixes: readonly string[] | null): Map<string, Tensor> {
  const all = model.namedParameters();
  if (!headPrefixes) return all;
  const head = new Map([...all].filter(([name]) => headPrefixes.some((p) => name.startsWith(p))));
  for (const [name, p] of all) if (!head.has(name)) p.requiresGrad = false;
  return head;
}

/** What a failed run left: the last checkpoint, untouched, or none at all. */
function checkpointNote(path: string, savedEpoch: number | null, error: Error): string {
  if (savedEpoch === null) return `no checkpoint was written (the run stopped before its first one)`;
  const again = error instanceof TrainingDivergedError ? '' : '; continue with --resume';
  return `the checkpoint ${path} (after epoch ${savedEpoch}) was left as it was${again}`;
}

const RUN_FILES = ['config.json', 'metrics.jsonl', 'curves.svg', 'eval.json'];

/** The RUN_FILES, each written atomically. */
function writeRunFolder(runDir: string, history: EpochRecord[], config: Record<string, unknown>, title: string): void {
  writeOutput(join(runDir, 'config.json'), text(`${JSON.stringify(config, null, 2)}\n`));
  writeOutput(join(runDir, 'metrics.jsonl'), text(history.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  writeOutput(
    join(runDir, 'curves.svg'),
    text(
      curvesSvg(
        history.map((r) => ({
          epoch: r.epoch,
          trainLoss: r.trainLoss,
          trainAccuracy: r.trainAccuracy,
          testLoss: r.testLoss,
          testAccuracy: r.test?.accuracy ?? null,
        })),
        title,
      ),
    ),
  );
  const last = history[history.length - 1];
  if (last?.test) writeOutput(join(runDir, 'eval.json'), text(`${JSON.stringify(last.test, null, 2)}\n`));
}

/** Writes a file atomically, making its folder first; a failure names the file (ENOSPC, EACCES...). */
function writeOutput(path: string, bytes: Uint8Array): void {
  try {
    ensureParentFolder(path);
    writeFileAtomic(path, bytes);
  } catch (error) {
    throw new OutputError(`${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
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

/** Earlier epochs of a resumed run (lines from epochs after the checkpoint, and unreadable lines, are dropped). */
function readHistory(path: string, upToEpoch: number): EpochRecord[] {
  if (upToEpoch === 0 || !existsSync(path)) return [];
  const records: EpochRecord[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const r = JSON.parse(line) as EpochRecord;
        if (r.epoch <= upToEpoch) records.push(r);
      } catch {
        process.stderr.write(`cnnx: ${path}:${i + 1}: not a JSON record; left out of the curves\n`);
      }
    });
  return records;
}

