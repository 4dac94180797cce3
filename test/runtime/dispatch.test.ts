/**
 * Gpu.run records a dispatch with as few calls into Dawn as it can: a pipeline is set only when it differs from the
 * one the open pass last used, a pooled buffer's label is set only when it changes, and the limits the ops read are
 * a plain copy. None of that may change what runs: a kernel repeated, interleaved with another, or split from its
 * previous dispatch by a copy computes what it computes alone.
 */
import { describe, expect, it } from 'vitest';
import { runAdd } from '../../src/kernels/add.js';
import { runReluForward } from '../../src/kernels/relu.js';
import { testGpu } from '../helpers/gpu.js';

describe('dispatch recording', () => {
  it('repeated and interleaved kernels in one pass compute what each computes alone', async () => {
    const gpu = await testGpu();
    const n = 8;
    const x = gpu.alloc(n * 4, 'test:x');
    const a = gpu.alloc(n * 4, 'test:a');
    const b = gpu.alloc(n * 4, 'test:b');
    const c = gpu.alloc(n * 4, 'test:c');
    gpu.upload(x, Float32Array.from({ length: n }, (_, i) => i - 4));
    runReluForward(gpu, x, a, n); // a = relu(x)
    runReluForward(gpu, a, b, n); // the same pipeline again: b = a
    runAdd(gpu, a, b, c, n); // another pipeline: c = 2a
    runReluForward(gpu, c, b, n); // back to the first: b = c
    const relu = Array.from({ length: n }, (_, i) => Math.max(0, i - 4));
    expect(Array.from(await gpu.read(b, n * 4))).toEqual(relu.map((v) => 2 * v));
    for (const buffer of [x, a, b, c]) gpu.free(buffer);
  });

  it('sets the pipeline again in the pass that follows a copy', async () => {
    const gpu = await testGpu();
    const n = 4;
    const x = gpu.alloc(n * 4, 'test:x');
    const y = gpu.alloc(n * 4, 'test:y');
    const z = gpu.alloc(n * 4, 'test:z');
    gpu.upload(x, Float32Array.from([-2, -1, 1, 2]));
    runReluForward(gpu, x, y, n);
    gpu.copy(y, 0, z, 0, n * 4); // ends the compute pass
    runReluForward(gpu, x, z, n); // the same kernel, first in a new pass
    expect(Array.from(await gpu.read(z, n * 4))).toEqual([0, 0, 1, 2]);
    for (const buffer of [x, y, z]) gpu.free(buffer);
  });

  it('labels a pooled buffer with its latest use', async () => {
    const gpu = await testGpu();
    const first = gpu.alloc(1000, 'test:first');
    gpu.free(first);
    const second = gpu.alloc(1000, 'test:second');
    expect(second).toBe(first); // the pool hands the freed buffer out again
    expect(second.label).toBe('test:second');
    gpu.free(second);
    expect(gpu.alloc(1000, 'test:second').label).toBe('test:second');
    gpu.free(second);
  });

  it('keeps the device limits as a plain copy, read without calls into Dawn', async () => {
    const gpu = await testGpu();
    const native = gpu.device.limits as unknown as Record<string, number>;
    const copy = gpu.limits as unknown as Record<string, number>;
    expect(copy).not.toBe(native);
    expect(Object.isFrozen(copy)).toBe(true);
    const keys = Object.keys(copy);
    expect(keys).toContain('maxStorageBufferBindingSize');
    for (const key in native) expect(copy[key], key).toBe(native[key]);
    // Own data properties: no getter left to run on each read.
    for (const key of keys) expect(Object.getOwnPropertyDescriptor(copy, key)?.get, key).toBeUndefined();
  });
});
