/**
 * The Node host: WebGPU from Dawn (npm `webgpu`) and shaders read from the package's `shaders/` folder.
 * This is the only engine module that touches Node APIs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import type { Platform } from './platform.js';
import { unhurriedWait } from './unhurried_wait.js';

// Works from src/platform (vitest) and dist/platform (built CLI): both sit two levels under the package root.
const shaderRoot = fileURLToPath(new URL('../../shaders/', import.meta.url));

let globalsInstalled = false;

/** The Dawn flag that turns off its timestamp rounding (for benchmarks; see src/cli/commands/bench.ts). */
export const UNQUANTISED_TIMESTAMPS = 'disable-dawn-features=timestamp_quantization';

export function createNodePlatform(dawnFlags: string[] = []): Platform {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // quiets Mesa's warning on headless machines
  if (!globalsInstalled) {
    // GPUBufferUsage, GPUMapMode and friends are globals in a browser; Dawn hands them over as an object.
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  let gpu: GPU | null = create(dawnFlags);
  const cache = new Map<string, string>();
  return {
    name: 'Dawn (node webgpu)',
    backend: { linux: 'vulkan', darwin: 'metal', win32: 'd3d12' }[process.platform as string] ?? 'unknown',
    get gpu(): GPU {
      if (!gpu) throw new Error('the WebGPU platform was already released');
      return gpu;
    },
    loadShader(path: string): string {
      let text = cache.get(path);
      if (text === undefined) {
        text = readFileSync(`${shaderRoot}${path}.wgsl`, 'utf8');
        cache.set(path, text);
      }
      return text;
    },
    waitGently: unhurriedWait,
    release(): void {
      // Dawn keeps the process alive while its GPU object is referenced.
      gpu = null;
    },
  };
}
