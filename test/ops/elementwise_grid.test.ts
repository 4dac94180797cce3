/**
 * The vec4 elementwise kernels (fill, relu, add, accumulate) run one vec4 a thread, so a tensor of more than
 * 65,535 workgroups' worth of vec4s (about 33.5 M floats under lavapipe's 128-thread groups: VGG's activations at batch
 * 15, sliced to one binding) gets a grid of two dimensions, whose last row holds workgroups past the end. Here the
 * device plans grids against 3 workgroups a dimension, so a few thousand floats take that path: every element must
 * come out as on the host (the outputs start as NaN), and none past the tensor's vec4s may be written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccumulate, runAdd, runAddRelu } from '../../src/kernels/add.js';
import { VEC4_WG } from '../../src/kernels/elementwise.js';
import { fill } from '../../src/kernels/fill.js';
import { runReluBackward, runReluForward } from '../../src/kernels/relu.js';
import { createNodePlatform } from '../../src/platform/node.js';
import type { Platform } from '../../src/platform/platform.js';
import { Gpu } from '../../src/runtime/gpu.js';

const MAX_GROUPS = 3;
// 8 workgroups' worth less a little: a 3 x 3 grid with one workgroup past the end and a partial one before it.
const N = 4 * VEC4_WG * 8 - 4 * 37 - 3;
const N4 = Math.ceil(N / 4);
// The buffers' floats: the tensor's, its last vec4's spill, and a guard band no kernel may touch.
const FLOATS = 4 * N4 + 4 * VEC4_WG;

let gpu: Gpu;
beforeAll(async () => {
  gpu = await Gpu.create(createNodePlatform(), { maxGroupsPerDim: MAX_GROUPS });
});
afterAll(async () => {
  await gpu.sync();
  gpu.destroy();
});

const values = (seed: number) => Float32Array.from({ length: FLOATS }, (_, i) => Math.sin(i * 0.37 + seed) * 3);

function buffer(data: Float32Array): GPUBuffer {
  const b = gpu.alloc(4 * FLOATS, 'test:grid');
  gpu.upload(b, data);
  return b;
}

/** Reads `out` and checks the first N floats against `want`, and that the guard band after the vec4s kept `before`. */
async function expectOutput(out: GPUBuffer, want: (i: number) => number, before: Float32Array): Promise<void> {
  const got = await gpu.read(out, 4 * FLOATS);
  const bad: string[] = [];
  for (let i = 0; i < N && bad.length < 5; i++) if (got[i] !== Math.fround(want(i))) bad.push(`[${i}] ${got[i]} != ${want(i)}`);
  for (let i = 4 * N4; i < FLOATS && bad.length < 5; i++) if (!Object.is(got[i], before[i])) bad.push(`guard [${i}] written`);
  expect(bad).toEqual([]);
}

describe('vec4 elementwise kernels on a two-dimensional grid', () => {
  it('plans the grid in two dimensions', () => {
    expect(gpu.limits.maxComputeWorkgroupsPerDimension).toBe(MAX_GROUPS);
    expect(Math.ceil(N4 / VEC4_WG)).toBeGreaterThan(MAX_GROUPS);
  });

  it('refuses a limit that is not a positive integer, before it asks for a device', async () => {
    let requested = 0;
    const platform = {
      gpu: { requestAdapter: async () => (requested++, null) },
      loadShader: () => '',
      release: () => {},
      name: 'test',
    } as unknown as Platform;
    for (const bad of [0, 2.5]) {
      await expect(Gpu.create(platform, { maxGroupsPerDim: bad })).rejects.toThrow(/maxGroupsPerDim/);
    }
    await expect(Gpu.create(platform, { maxBindingBytes: 100 })).rejects.toThrow(/maxBindingBytes/);
    expect(requested).toBe(0);
  });

  it('relu forward and backward', async () => {
    const x = values(1);
    const dy = values(2);
    const poison = new Float32Array(FLOATS).fill(NaN);
    const [xb, dyb, yb, dxb] = [buffer(x), buffer(dy), buffer(poison), buffer(poison)];
    runReluForward(gpu, xb, yb, N);
    await expectOutput(yb, (i) => Math.max(x[i]!, 0), poison);
    runReluBackward(gpu, yb, dyb, dxb, N);
    await expectOutput(dxb, (i) => (x[i]! > 0 ? dy[i]! : 0), poison);
    [xb, dyb, yb, dxb].forEach((b) => gpu.free(b));
  });

  it('add, add with ReLU, accumulate and fill', async () => {
    const a = values(3);
    const b = values(4);
    const poison = new Float32Array(FLOATS).fill(NaN);
    const [ab, bb, yb] = [buffer(a), buffer(b), buffer(poison)];
    runAdd(gpu, ab, bb, yb, N, 0.5);
    await expectOutput(yb, (i) => a[i]! + Math.fround(0.5 * b[i]!), poison);
    runAddRelu(gpu, ab, bb, yb, N, -2);
    await expectOutput(yb, (i) => Math.max(Math.fround(a[i]! + Math.fround(-2 * b[i]!)), 0), poison);
    runAccumulate(gpu, bb, ab, N, 0.25); // a += 0.25 b
    await expectOutput(ab, (i) => a[i]! + Math.fround(0.25 * b[i]!), a);
    fill(gpu, bb, N, 7.5);
    await expectOutput(bb, () => 7.5, b);
    [ab, bb, yb].forEach((buf) => gpu.free(buf));
  });
});
