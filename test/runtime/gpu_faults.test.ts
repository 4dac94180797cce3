/**
 * Device faults become errors that say what was being allocated or run, and leave the device usable where it can
 * be: a buffer over the device's limit is refused before anything is created; a validation error surfaces at the
 * next read naming the last kernel; a lost device fails every later call naming the kernel it was running.
 */
import { describe, expect, it } from 'vitest';
import { relu } from '../../src/graph/ops/relu.js';
import { Tensor } from '../../src/graph/tensor.js';
import { createNodePlatform } from '../../src/platform/node.js';
import { GpuError } from '../../src/runtime/errors.js';
import { Gpu } from '../../src/runtime/gpu.js';
import { testGpu } from '../helpers/gpu.js';

async function reluWorks(gpu: Gpu): Promise<void> {
  const x = Tensor.fromData(gpu, [-1, 2, -3, 4], [4], 'test:x');
  const y = relu(x);
  expect(Array.from(await y.read())).toEqual([0, 2, 0, 4]);
  x.dispose();
  y.dispose();
}

describe('GPU faults', () => {
  it('refuses a buffer over maxBufferSize, naming its label and both sizes, and the device goes on', async () => {
    const gpu = await testGpu();
    const before = gpu.poolStats();
    const max = gpu.limits.maxBufferSize;
    let error: unknown;
    try {
      gpu.alloc(max + 1, 'conv2d.forward:y');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GpuError);
    const message = (error as Error).message;
    expect(message).toContain('conv2d.forward:y');
    expect(message).toContain(`${(max + 1).toLocaleString('en-US')} bytes`);
    expect(message).toContain('maxBufferSize');
    expect(() => gpu.alloc(Number.NaN, 'broken:size')).toThrow(/broken:size: cannot allocate NaN bytes/);
    expect(gpu.poolStats()).toEqual(before);
    await reluWorks(gpu);
  });

  it('reports a validation error at the next read, naming the last kernel, and the device goes on', async () => {
    const gpu = await testGpu();
    const x = Tensor.fromData(gpu, [1, 2, 3, 4], [4], 'test:destroyed');
    x.buffer.destroy(); // a buffer destroyed behind the pool's back: submitting work that uses it is invalid
    const y = relu(x);
    await expect(y.read()).rejects.toThrow(/relu\.forward/);
    y.dispose();
    await reluWorks(gpu);
  });

  it('fails every call after the device is lost, naming the last kernel', async () => {
    const gpu = await Gpu.create(createNodePlatform());
    try {
      await reluWorks(gpu); // ends with a read-back: nothing is queued when the device goes
      gpu.device.destroy(); // what a driver reset or a removed GPU looks like to WebGPU
      await gpu.device.lost;
      expect(() => gpu.alloc(16, 'after:loss')).toThrow(GpuError);
      expect(() => gpu.alloc(16, 'after:loss')).toThrow(/GPU device lost \(destroyed\).*last kernel: relu\.forward/);
    } finally {
      gpu.destroy();
    }
  });
});
