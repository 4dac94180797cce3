/**
 * `cnnx bench`: the device's roofs, every kernel (forward and backward, each variant) at the shapes of the models
 * cnnx trains, TensorFlow.js's WebGPU backend on the same adapter as the peer, and end-to-end CNN-X training and
 * ResNet-50 inference. Progress goes to stderr; stdout gets the table, or the report with --json.
 * --write-results rewrites bench/RESULTS.md (or the file given) with the table, the device, the date and the load.
 */
import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { runBench } from '../../bench/run.js';
import { resultsMarkdown } from '../../bench/results_file.js';
import { header, markdownTables } from '../../bench/report.js';
import { createNodePlatform } from '../../platform/node.js';
import { Gpu } from '../../runtime/gpu.js';

export function registerBench(cli: Argv): Argv {
  return cli.command(
    'bench',
    'measure the roofs, every kernel and end-to-end training/inference, against TensorFlow.js on the same GPU',
    (y) =>
      y
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
        .option('quick', { type: 'boolean', default: false, describe: 'fewer runs, batch 1 kernels, batch 2 training: a few minutes' })
        .option('filter', { type: 'string', array: true, default: [] as string[], describe: 'only results whose name contains this (repeatable: --filter a b)' })
        .option('peers', { type: 'boolean', default: true, describe: 'time TensorFlow.js as the peer (--no-peers to skip)' })
        .option('write-results', { type: 'string', describe: 'write the table to this markdown file (bench/RESULTS.md when given no value)' }),
    async (args) => {
      const platform = createNodePlatform();
      const gpu = await Gpu.create(platform);
      try {
        const report = await runBench(gpu, platform, {
          quick: args.quick,
          filter: args.filter.map(String),
          peers: args.peers,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        if (args['write-results'] !== undefined) {
          const path = args['write-results'] === '' ? 'bench/RESULTS.md' : args['write-results'];
          writeFileSync(path, resultsMarkdown(report));
          process.stderr.write(`wrote ${path}\n`);
        }
        process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${[...header(report), '', markdownTables(report)].join('\n')}\n`);
      } finally {
        gpu.destroy();
      }
    },
  );
}
