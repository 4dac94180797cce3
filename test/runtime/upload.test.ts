/**
 * Gpu.upload on a hardware GPU sends large arrays through staging buffers and a copy recorded in command order
 * (src/runtime/staging_uploads.ts). Run here on a device that takes the hardware paths: every upload must land
 * where and when writeBuffer would have put it, across steps that reuse the staging buffers while earlier ones are
 * still being read.
 */
import { describe, expect, it } from 'vitest';
import { runAdd } from '../../src/kernels/add.js';
import { hardwareTestGpu } from '../helpers/gpu.js';

describe('staged uploads', () => {
  it('land in order with the dispatches around them, step after step, at an offset too', async () => {
    const gpu = await hardwareTestGpu();
    const n = 100_000; // 400 KB: over the staging threshold
    const x = gpu.alloc(n * 4, 'test:x');
    const sum = gpu.alloc(n * 4, 'test:sum');
    const out = gpu.alloc(n * 4, 'test:out');
    gpu.upload(sum, new Float32Array(n));
    // Each step overwrites x while the previous step's add may still be queued: sum = x_0 + x_1 + ... + x_5.
    const batch = (s: number): Float32Array => Float32Array.from({ length: n }, (_, i) => (i % 1000) * (s + 1));
    for (let s = 0; s < 6; s++) {
      gpu.upload(x, batch(s));
      runAdd(gpu, sum, x, out, n);
      gpu.copy(out, 0, sum, 0, n * 4);
    }
    await gpu.sync(); // the staging buffers come back between bursts
    for (let s = 0; s < 3; s++) {
      gpu.upload(x, batch(s));
      runAdd(gpu, sum, x, out, n);
      gpu.copy(out, 0, sum, 0, n * 4);
    }
    const got = await gpu.read(sum, n * 4);
    const factor = (1 + 2 + 3 + 4 + 5 + 6) + (1 + 2 + 3);
    for (const i of [0, 1, 999, 1000, 54_321, n - 1]) expect(got[i], `element ${i}`).toBe((i % 1000) * factor);

    // Into the middle of a buffer: the elements around it keep their values.
    const half = Float32Array.from({ length: n / 2 }, (_, i) => -(i + 1));
    gpu.upload(sum, half, (n / 4) * 4);
    const after = await gpu.read(sum, n * 4);
    expect(after[n / 4 - 1]).toBe(((n / 4 - 1) % 1000) * factor);
    expect(after[n / 4]).toBe(-1);
    expect(after[n / 4 + 7]).toBe(-8);
    expect(after[(3 * n) / 4]).toBe((((3 * n) / 4) % 1000) * factor);
    for (const buffer of [x, sum, out]) gpu.free(buffer);
  });

  // A training step uploads its batch (staged) and then its labels (small: writeBuffer). The labels go ahead of the
  // batch's recorded copy without a submit of their own, as that copy writes another buffer; a small upload into the
  // buffer a recorded copy writes, or after a dispatch, still submits first so that it lands after them.
  it('send a small upload after a staged one without a submit of its own, and keep every order', async () => {
    const gpu = await hardwareTestGpu();
    const n = 100_000;
    const [x, labels, out] = ['test:x', 'test:labels', 'test:out'].map((name) => gpu.alloc(n * 4, name));
    gpu.upload(labels, new Float32Array(n));
    await gpu.sync();
    const ramp = (scale: number, length = n): Float32Array =>
      Float32Array.from({ length }, (_, i) => (i % 1000) * scale);
    gpu.upload(x, ramp(1)); // the previous step, nothing recorded: no submit
    const before = gpu.submits;
    gpu.upload(labels, ramp(2, 16));
    expect(gpu.submits - before, 'labels after a staged batch').toBe(0);
    gpu.upload(x, ramp(3, 16)); // into the buffer the recorded copy writes: must land after it
    expect(gpu.submits - before, 'into the staged copy\'s buffer').toBe(1);
    runAdd(gpu, x, labels, out, n);
    gpu.upload(labels, ramp(5, 16)); // after a dispatch that reads it
    expect(gpu.submits - before, 'after a dispatch').toBe(2);
    const got = await gpu.read(out, n * 4);
    for (const i of [0, 7, 15]) expect(got[i], `element ${i}`).toBe((i % 1000) * 3 + (i % 1000) * 2);
    for (const i of [16, 999, n - 1]) expect(got[i], `element ${i}`).toBe(i % 1000);
    expect((await gpu.read(labels, 64))[3]).toBe(15);
    for (const buffer of [x, labels, out]) gpu.free(buffer);
  });
});
