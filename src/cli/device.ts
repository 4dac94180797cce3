/**
 * Opens the GPU for a command and always gives it back, so the process can exit. The adapter's tuned kernel choices
 * are used when `cnnx tune` wrote some (see kernel_choices_file.ts).
 */
import { createNodePlatform } from '../platform/node.js';
import { Gpu, type GpuOptions } from '../runtime/gpu.js';
import { applyKernelChoices } from './kernel_choices_file.js';

/** `dawnFlags` go to Dawn's create() (UNQUANTISED_TIMESTAMPS for commands that time kernels). */
export async function withGpu<T>(fn: (gpu: Gpu) => Promise<T>, options: GpuOptions = {}, dawnFlags: string[] = []): Promise<T> {
  const gpu = await Gpu.create(createNodePlatform(dawnFlags), options);
  let result: T;
  try {
    applyKernelChoices(gpu, (line) => process.stderr.write(`${line}\n`));
    result = await fn(gpu);
    // Destroying the device while uploads or dispatches are still queued crashes Dawn with lavapipe at exit now
    // and then (abort, segfault or a hang); errors the device reports while finishing still belong to this command.
    await gpu.sync();
  } catch (error) {
    await gpu.sync().catch(() => undefined); // the first error is the one to report
    gpu.destroy();
    throw error;
  }
  gpu.destroy();
  return result;
}
