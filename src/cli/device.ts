/** Opens the GPU for a command and always gives it back, so the process can exit. */
import { createNodePlatform } from '../platform/node.js';
import { Gpu, type GpuOptions } from '../runtime/gpu.js';

export async function withGpu<T>(fn: (gpu: Gpu) => Promise<T>, options: GpuOptions = {}): Promise<T> {
  const gpu = await Gpu.create(createNodePlatform(), options);
  try {
    return await fn(gpu);
  } finally {
    gpu.destroy();
  }
}
