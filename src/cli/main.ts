/** The `cnnx` command line: a thin layer over the library; each command lives in commands/. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerCam } from './commands/cam.js';
import { registerData } from './commands/data.js';
import { registerEval } from './commands/evaluate.js';
import { registerInfo } from './commands/info.js';
import { registerPredict } from './commands/predict.js';
import { registerTrain } from './commands/train.js';
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
    });
  for (const register of [registerInfo, registerData, registerTrain, registerEval, registerPredict, registerCam]) cli = register(cli);
  try {
    await cli.parseAsync();
    return 0;
  } catch (error) {
    return reportError(error, verbose);
  }
}
