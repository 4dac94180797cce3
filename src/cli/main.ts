/** The `cnnx` command line: a thin layer over the library; each command lives in commands/. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerBench } from './commands/bench.js';
import { registerCam } from './commands/cam.js';
import { registerData } from './commands/data.js';
import { registerEval } from './commands/evaluate.js';
import { registerExperiment } from './commands/experiment.js';
import { registerImport } from './commands/import.js';
import { registerInfo } from './commands/info.js';
import { registerPredict } from './commands/predict.js';
import { registerTrain } from './commands/train.js';
import { registerTune } from './commands/tune.js';
import { reportError, UsageError } from './errors.js';

export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  const verbose = argv.includes('--verbose');
  let cli: Argv = yargs(argv)
    .scriptName('cnnx')
    .option('verbose', { type: 'boolean', default: false, describe: 'show stack traces on errors' })
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    // Once the command has declared its options, so that flags that take lists may repeat (getOptions is public in
    // yargs but missing from its type declarations).
    .middleware(() => refuseRepeatedFlags(argv, new Set((cli as unknown as ParsedOptions).getOptions().array)), true);
  for (const register of [registerInfo, registerData, registerTrain, registerEval, registerPredict, registerCam, registerImport, registerExperiment, registerBench, registerTune]) cli = register(cli);
  try {
    await cli.parseAsync();
    return 0;
  } catch (error) {
    return reportError(error, verbose);
  }
}

interface ParsedOptions {
  getOptions(): { array: string[] };
}

/**
 * A flag given twice is refused: which one was meant is a guess, and yargs turns repeats into arrays, or for a number
 * flag repeated with the value 1 into the sum (`--epochs 5 --epochs 1` would mean 6).
 */
function refuseRepeatedFlags(argv: readonly string[], lists: ReadonlySet<string>): void {
  const seen = new Set<string>();
  for (const arg of argv) {
    if (arg === '--') break;
    const match = /^--(?:no-)?([^=]+)/.exec(arg);
    if (!match) continue;
    const name = match[1]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (seen.has(name) && !lists.has(name)) throw new UsageError(`--${name} is given more than once`);
    seen.add(name);
  }
}
