/**
 * `cnnx tune`: times every convolution and matrix-product variant at the shapes one training step of a model runs,
 * on this adapter, and stores the fastest per shape in the adapter's kernel-choices file (src/bench/tune.ts), which
 * every later
 * command on this adapter uses. Progress goes to stderr; stdout gets the table, or the rows with --json.
 */
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { collectShapes, runTrainingStep, storeWinners, tuneConv2d, tuneMatmul, type TuneRow } from '../../bench/tune.js';
import { createRng } from '../../data/prng.js';
import { modelEntry, modelNames } from '../../models/registry.js';
import { UNQUANTISED_TIMESTAMPS } from '../../platform/node.js';
import { adapterIdentity, KernelChoiceError, KernelChoices, type AdapterIdentity } from '../../runtime/kernel_choices.js';
import { positiveInteger } from '../data_options.js';
import { withGpu } from '../device.js';
import { UsageError } from '../errors.js';
import { kernelChoicesPath, readKernelChoices, writeKernelChoices } from '../kernel_choices_file.js';

export function registerTune(cli: Argv): Argv {
  return cli.command(
    'tune',
    "measure every convolution and linear-layer kernel variant at a model's training shapes on this GPU and keep the " +
      'fastest for later runs',
    (y) =>
      y
        .option('model', { type: 'string', default: 'cnnx', describe: `one of: ${modelNames().join(', ')}` })
        .option('batch', { type: 'number', default: 15, describe: 'the training batch to tune for' })
        .option('input-size', { type: 'number', describe: "image side instead of the model's native size" })
        .option('num-classes', {
          type: 'number',
          default: 4,
          describe: "classes of the head, as training builds it (the paper's four; give your data set's count)",
        })
        .option('output', { type: 'string', describe: "the choices file to write (default: this adapter's, which later runs read)" })
        .option('json', { type: 'boolean', default: false, describe: 'print the measured rows as JSON' }),
    async (args) => {
      const batch = positiveInteger(args.batch, '--batch')!;
      const inputSize = positiveInteger(args['input-size'], '--input-size');
      const numClasses = positiveInteger(args['num-classes'], '--num-classes')!;
      const entry = modelEntry(args.model);
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      // Dawn rounds timestamps to 65.5 us by default on an H100: batch-1 kernels would read as 0 or tie.
      await withGpu(async (gpu) => {
        const path = args.output ?? kernelChoicesPath(gpu.info);
        const table = existingTable(path, adapterIdentity(gpu.info), args.output !== undefined, log);
        // The head's classes set the linear layers' products (a backbone's default head has ImageNet's 1,000).
        const model = entry.build({ gpu, rng: createRng(1) }, { numClasses, ...(inputSize ? { inputSize } : {}) });
        let shapes;
        try {
          shapes = await collectShapes(gpu, () => runTrainingStep(gpu, model, batch));
        } finally {
          model.dispose();
        }
        const counts = `${shapes.conv2d.length} convolution passes and ${shapes.matmul.length} products`;
        log(`${args.model}, batch ${batch}: ${counts} to time`);
        const rows: TuneRow[] = [...(await tuneConv2d(gpu, shapes.conv2d, { log }))];
        rows.push(...(await tuneMatmul(gpu, shapes.matmul, { log })));
        writeKernelChoices(path, storeWinners(table, rows));
        log(`wrote ${path} (${table.size} shapes)`);
        process.stdout.write(args.json ? `${JSON.stringify({ path, rows }, null, 2)}\n` : `${tuneTable(rows).join('\n')}\n`);
      }, {}, [UNQUANTISED_TIMESTAMPS]);
    },
  );
}

/**
 * The table the new winners join, read before any timing so a bad file stops the command early: entries for other
 * shapes are kept. A damaged default file is a cache and is started afresh; a file named with --output must be
 * readable and for this adapter.
 */
function existingTable(path: string, adapter: AdapterIdentity, named: boolean, log: (line: string) => void): KernelChoices {
  if (!existsSync(path)) return new KernelChoices(adapter);
  let table: KernelChoices;
  try {
    table = readKernelChoices(path);
  } catch (error) {
    if (named || !(error instanceof KernelChoiceError)) throw error;
    log(`warning: starting ${path} afresh: ${error.message}`);
    return new KernelChoices(adapter);
  }
  if (!table.matches(adapter)) {
    const other = table.adapter.description || table.adapter.device;
    if (named) throw new UsageError(`${path}: holds choices for another adapter ("${other}"); name another --output`);
    log(`warning: starting ${path} afresh: it held choices for another adapter ("${other}")`);
    return new KernelChoices(adapter);
  }
  return table;
}

function tuneTable(rows: readonly TuneRow[]): string[] {
  const lines = ['| pass | shape | heuristic | fastest | ms per variant |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const times = Object.entries(r.ms).map(([v, ms]) => `${v} ${ms.toFixed(3)}`).join(', ');
    const shape = r.key.slice(r.key.indexOf(' ') + 1);
    const pass = r.pass === 'matmul' ? r.key.slice(0, r.key.indexOf(' ')) : r.pass; // matmul.nt: which operands transposed
    lines.push(`| ${pass} | ${shape} | ${r.heuristic} | ${r.winner === r.heuristic ? r.winner : `**${r.winner}**`} | ${times} |`);
  }
  return lines;
}
