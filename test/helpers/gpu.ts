/**
 * One GPU device per test file, with outputs poisoned (NaN-filled before their kernel runs) so an element a kernel
 * forgets to write fails the comparison. Destroyed after the file so the process can exit.
 */
import { afterAll } from 'vitest';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';

let shared: Promise<Gpu> | null = null;

export function testGpu(): Promise<Gpu> {
  if (!shared) {
    shared = Gpu.create(createNodePlatform(), { poison: true });
    afterAll(async () => {
      const gpu = await shared!;
      await gpu.sync();
      gpu.destroy();
      shared = null;
    });
  }
  return shared;
}
