/**
 * One GPU device per test file, with outputs poisoned (NaN-filled before their kernel runs) so an element a kernel
 * forgets to write fails the comparison; and a second one on the same adapter that picks kernels, layouts and
 * uploads as a hardware GPU would (`kernelsFor: 'hardware'`). Destroyed after the file so the process can exit.
 */
import { afterAll } from 'vitest';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';

const shared: { software?: Promise<Gpu>; hardware?: Promise<Gpu> } = {};

export function testGpu(): Promise<Gpu> {
  return sharedGpu('software');
}

/** The device that runs a hardware GPU's code paths on this adapter. */
export function hardwareTestGpu(): Promise<Gpu> {
  return sharedGpu('hardware');
}

function sharedGpu(kind: 'software' | 'hardware'): Promise<Gpu> {
  let gpu = shared[kind];
  if (!gpu) {
    const options = kind === 'hardware' ? { poison: true, kernelsFor: 'hardware' as const } : { poison: true };
    gpu = shared[kind] = Gpu.create(createNodePlatform(), options);
    afterAll(async () => {
      const opened = await gpu!;
      await opened.sync();
      opened.destroy();
      delete shared[kind];
    });
  }
  return gpu;
}
