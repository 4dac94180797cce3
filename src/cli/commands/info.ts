/** `cnnx info`: the WebGPU adapter cnnx will use, its backend, limits and features, and whether kernels are tuned. */
import type { Argv } from 'yargs';
import { withGpu } from '../device.js';
import { kernelChoicesPath } from '../kernel_choices_file.js';

export function registerInfo(cli: Argv): Argv {
  return cli.command(
    'info',
    'show the GPU adapter, backend, limits and features',
    (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
    async (args) => {
      await withGpu(async (gpu) => {
        const info = gpu.info;
        if (args.json) {
          process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
          return;
        }
        const lines = [
          `adapter:      ${info.description || info.device} (${info.vendor}, ${info.architecture})`,
          `platform:     ${info.platform}, ${info.backend} backend${info.isSoftware ? ', software rasteriser (no GPU)' : ''}`,
          `features:     ${info.features.join(', ')}`,
          `tuned kernels: ${gpu.kernelChoices ? `${gpu.kernelChoices.size} shapes` : `none (cnnx tune measures them; this adapter's file: ${kernelChoicesPath(info)})`}`,
          'limits:',
          ...Object.entries(info.limits).map(([k, v]) => `  ${k.padEnd(44)} ${v.toLocaleString('en-US')}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    },
  );
}
