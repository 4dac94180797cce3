/**
 * One GPU device per test file, with outputs poisoned (NaN-filled before their kernel runs) so an element a kernel
 * forgets to write fails the comparison; and others on the same adapter that pick kernels, layouts and uploads as a
 * hardware GPU would (`kernelsFor: 'hardware'`), or as a software one would (`kernelsFor: 'software'`: lavapipe's
 * picks, so a test of them asserts the same on a hardware GPU). Destroyed after the file so the process can exit.
 */
import { afterAll } from 'vitest';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';

type Kind = 'this device' | 'software' | 'hardware' | 'own';
const shared: Partial<Record<Kind, Promise<Gpu>>> = {};

export function testGpu(): Promise<Gpu> {
  return sharedGpu('this device');
}

/** The device that runs a software GPU's code paths (lavapipe's kernel picks) on this adapter. */
export function softwareTestGpu(): Promise<Gpu> {
  return sharedGpu('software');
}

/** The device that runs a hardware GPU's code paths on this adapter. */
export function hardwareTestGpu(): Promise<Gpu> {
  return sharedGpu('hardware');
}

/** A device testGpu() does not hand out, for tests that change a device's state (its kernel choices). */
export function ownTestGpu(): Promise<Gpu> {
  return sharedGpu('own');
}

function sharedGpu(kind: Kind): Promise<Gpu> {
  let gpu = shared[kind];
  if (!gpu) {
    const options = kind === 'this device' || kind === 'own' ? { poison: true } : { poison: true, kernelsFor: kind };
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
