/**
 * The browser host: navigator.gpu, and shader texts handed in by the bundler (e.g. Vite's `import.meta.glob`
 * with `?raw`), keyed like 'conv2d/forward'.
 */
import type { Platform } from './platform.js';

export function createBrowserPlatform(shaders: Record<string, string>): Platform {
  const nav = (globalThis as unknown as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing); try a current Chrome or Edge');
  const gpu = nav.gpu;
  return {
    name: 'browser',
    backend: 'browser',
    gpu,
    loadShader(path: string): string {
      const text = shaders[path];
      if (text === undefined) throw new Error(`shader ${path}.wgsl was not bundled`);
      return text;
    },
    release(): void {},
  };
}
