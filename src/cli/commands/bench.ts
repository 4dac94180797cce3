/**
 * `cnnx bench`: the device's roofs, every kernel (forward and backward, each variant) at the shapes of the models
 * cnnx trains, TensorFlow.js's WebGPU backend on the same adapter as the peer, and end-to-end CNN-X training and
 * ResNet-50 inference. Progress goes to stderr; stdout gets the table, or the report with --json.
 * --write-results rewrites bench/RESULTS.md (or the file given) with the table, the device, the date and the load.
 * --memory instead measures each model's peak GPU memory in inference and in one training step (src/bench/memory.ts);
 * its --write-results file is bench/MEMORY.md.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Argv } from 'yargs';
import { combineReports, memoryHeader, memoryMarkdown, memoryTable, runMemoryBench, type MemoryReport } from '../../bench/memory.js';
import { runBench } from '../../bench/run.js';
import { resultsMarkdown } from '../../bench/results_file.js';
import { header, markdownTables } from '../../bench/report.js';
import { modelEntry, modelNames } from '../../models/registry.js';
import { createNodePlatform, UNQUANTISED_TIMESTAMPS } from '../../platform/node.js';
import { Gpu } from '../../runtime/gpu.js';
import { positiveInteger } from '../data_options.js';
import { UsageError } from '../errors.js';
import { applyKernelChoices } from '../kernel_choices_file.js';

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
        .option('write-results', { type: 'string', describe: 'write the table to this markdown file (bench/RESULTS.md, or bench/MEMORY.md with --memory, when given no value)' })
        .option('memory', { type: 'boolean', default: false, describe: 'measure each model\'s peak GPU memory (inference and one training step) instead' })
        .option('models', { type: 'string', array: true, default: ['all'], describe: 'with --memory: models to measure (names, comma-separated or repeated; all by default)' })
        .option('batch', { type: 'number', default: 15, describe: 'with --memory: the batch of the training step and the second inference' })
        .option('input-size', { type: 'number', describe: 'with --memory: image side instead of each model\'s native size' }),
    async (args) => {
      if (args.memory) {
        await benchMemory(args);
        return;
      }
      // Dawn rounds timestamps to tens of microseconds by default (a browser's defence against timing attacks): a
      // benchmark wants the GPU's real clock, or a 20 us kernel reads as 0 or 65 us on a fast GPU.
      const platform = createNodePlatform([UNQUANTISED_TIMESTAMPS]);
      const gpu = await Gpu.create(platform);
      try {
        // The end-to-end runs choose kernels as `cnnx train` would on this adapter (the kernel rows force each variant).
        applyKernelChoices(gpu, (line) => process.stderr.write(`${line}\n`));
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
        await gpu.sync().catch(() => undefined); // see Gpu.destroy; a failure being thrown is the one to report
        gpu.destroy();
      }
    },
  );
}

async function benchMemory(args: { models: string[]; batch: number; 'input-size'?: number; json: boolean; 'write-results'?: string }): Promise<void> {
  const batch = positiveInteger(args.batch, '--batch')!;
  const inputSize = positiveInteger(args['input-size'], '--input-size');
  const asked = args.models.flatMap((m) => String(m).split(',')).map((m) => m.trim()).filter((m) => m !== '');
  const models = asked.length === 0 || asked.includes('all') ? modelNames() : asked;
  for (const name of models) {
    try {
      modelEntry(name);
    } catch (error) {
      throw new UsageError(`--models: ${(error as Error).message}`);
    }
  }
  const resultsPath = args['write-results'] === undefined ? null : args['write-results'] || 'bench/MEMORY.md';
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  let report: MemoryReport;
  if (models.length === 1) {
    report = await runMemoryBench(() => Gpu.create(createNodePlatform()), { models, batch, ...(inputSize ? { inputSize } : {}), log });
  } else {
    // Each model in a process of its own: lavapipe never gives a destroyed device's memory back to the host (it
    // would add up over the models), and a model killed for memory must not end the run. The file is rewritten
    // after every model: a run of all models takes hours on a software GPU.
    const started = performance.now();
    const loadStart = loadavg();
    const parts: Parameters<typeof combineReports>[0] = [];
    for (const model of models) {
      parts.push(await measureInChild(model, batch, inputSize));
      if (resultsPath) writeFileSync(resultsPath, memoryMarkdown(combineReports(parts, batch, started, loadStart)));
    }
    report = combineReports(parts, batch, started, loadStart);
  }
  if (resultsPath) {
    writeFileSync(resultsPath, memoryMarkdown(report));
    log(`wrote ${resultsPath}`);
  }
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${[...memoryHeader(report), '', memoryTable(report)].join('\n')}\n`);
}

/** `cnnx bench --memory --models <model> --json` as a child process; its progress goes to this stderr. */
function measureInChild(model: string, batch: number, inputSize: number | undefined): Promise<MemoryReport | { model: string; error: string }> {
  const args = [process.argv[1]!, 'bench', '--memory', '--models', model, '--batch', String(batch), '--json',
    ...(inputSize ? ['--input-size', String(inputSize)] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ model, error: `could not start the measuring process: ${error.message}` }));
    child.on('close', (code, signal) => {
      if (code === 0) {
        try {
          resolve(JSON.parse(stdout) as MemoryReport);
          return;
        } catch {
          // reported below with the exit status
        }
      }
      const how = signal ? `was killed by ${signal}${signal === 'SIGKILL' ? ' (out of host memory?)' : ''}` : `exited with code ${code}`;
      const last = stderr.trim().split('\n').filter((line) => !line.startsWith('Warning:')).pop() ?? '';
      resolve({ model, error: `the measuring process ${how}${last ? `: ${last}` : ''}` });
    });
  });
}
