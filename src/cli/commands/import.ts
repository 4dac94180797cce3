/**
 * `cnnx import FILE --model NAME --out W.safetensors`: converts the weights a user has (torchvision or timm,
 * safetensors or .pth) into a checked cnnx weights file once: names mapped as the model spells them, every
 * tensor checked against the architecture, classes taken from the file's head.
 */
import type { Argv } from 'yargs';
import { createRng } from '../../data/prng.js';
import { headClasses } from '../../models/head_classes.js';
import { loadWeights } from '../../models/load_weights.js';
import { modelEntry, modelNames } from '../../models/registry.js';
import { writeFileAtomic } from '../../train/atomic_write.js';
import { encodeCheckpoint } from '../../train/checkpoint.js';
import { withGpu } from '../device.js';
import { readCheckpointFile } from '../load_model.js';
import { checkWritableFile, ensureParentFolder } from '../output_path.js';

export function registerImport(cli: Argv): Argv {
  return cli.command(
    'import <file>',
    'convert and check a weights file (torchvision/timm .pth or safetensors) for a model',
    (y) =>
      y
        .positional('file', { type: 'string', demandOption: true })
        .option('model', { type: 'string', demandOption: true, describe: `one of: ${modelNames().join(', ')}` })
        .option('out', { type: 'string', demandOption: true, describe: 'cnnx weights file to write (.safetensors)' }),
    async (args) => {
      const entry = modelEntry(args.model);
      const out = checkWritableFile(args.out, '--out');
      const source = readCheckpointFile(args.file as string);
      const numClasses = headClasses(entry, source.model);
      await withGpu(async (gpu) => {
        const model = entry.build({ gpu, rng: createRng(0) }, numClasses ? { numClasses } : {});
        try {
          loadWeights(entry, model, source.model);
          const state = await model.stateDict();
          ensureParentFolder(out);
          writeFileAtomic(
            out,
            encodeCheckpoint(state, new Map(), {
              model: entry.name,
              modelConfig: entry.configOf(model),
              classNames: source.meta?.classNames ?? Array.from({ length: model.numClasses }, (_, i) => `class${i}`),
              epoch: 0,
              step: 0,
            }),
          );
          process.stdout.write(
            `${args.file}: ${state.size} tensors, ${model.numParameters().toLocaleString('en-US')} parameters, ` +
              `${model.numClasses} classes, all checked against ${entry.name}; wrote ${args.out}\n`,
          );
        } finally {
          model.dispose();
        }
      });
    },
  );
}
