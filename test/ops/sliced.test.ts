/**
 * Tensors larger than one storage binding. Each op's PyTorch fixtures run again, forward and backward, on a device
 * whose binding limit (Gpu.create's maxBindingBytes) is lowered to the case's largest sample or unsliced tensor, so
 * every batched tensor over it goes through the kernels in batch slices (src/kernels/batch_slices.ts): mostly
 * scratch copies, since the fixtures' sample sizes are odd. test/reference/sliced.py adds cases whose slices hold
 * several samples at 256-byte aligned offsets (bound as byte ranges), and a mix of both in one kernel. Gpu.run
 * refuses any binding over the lowered limit, so a tensor that is not sliced fails here. Same bar as the op tests.
 */
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { add } from '../../src/graph/ops/add.js';
import { adaptiveAvgpool2d } from '../../src/graph/ops/adaptive_avgpool2d.js';
import { avgpool2d, type Avgpool2dOptions } from '../../src/graph/ops/avgpool2d.js';
import { batchnorm2d, batchnorm2dRelu } from '../../src/graph/ops/batchnorm2d.js';
import { concat } from '../../src/graph/ops/concat.js';
import { conv2d, type Conv2dOptions } from '../../src/graph/ops/conv2d.js';
import { dropout } from '../../src/graph/ops/dropout.js';
import { maxpool2d, type Maxpool2dOptions } from '../../src/graph/ops/maxpool2d.js';
import { relu } from '../../src/graph/ops/relu.js';
import { tidy } from '../../src/graph/scope.js';
import { numel, Tensor } from '../../src/graph/tensor.js';
import { samplesPerSlice } from '../../src/kernels/batch_slices.js';
import { CHUNK } from '../../src/kernels/batchnorm2d.js';
import { createNodePlatform } from '../../src/platform/node.js';
import { GpuError } from '../../src/runtime/errors.js';
import { Gpu } from '../../src/runtime/gpu.js';
import { Adam } from '../../src/train/adam.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';

/** Runs `body` on a fresh poisoned device whose bindings are limited to `maxBindingBytes`, then destroys it. */
async function onDevice<T>(maxBindingBytes: number | undefined, body: (gpu: Gpu) => Promise<T>): Promise<T> {
  const gpu = await Gpu.create(createNodePlatform(), { poison: true, maxBindingBytes });
  try {
    return await body(gpu);
  } finally {
    await gpu.sync();
    gpu.destroy();
  }
}

const roundUp256 = (bytes: number) => Math.ceil(Math.max(256, bytes) / 256) * 256;
const sampleBytes = (shape: readonly number[]) => 4 * numel(shape.slice(1));
const bytes = (shape: readonly number[]) => 4 * numel(shape);

/** The tensors of a case on the GPU; those named in `grads` require a gradient. */
function upload(gpu: Gpu, c: RefCase, roles: string[], grads: string[] = []): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const role of roles) {
    out[role] = Tensor.fromData(gpu, c.t(role).data, c.t(role).shape, role);
    out[role].requiresGrad = grads.includes(role);
  }
  return out;
}

async function expectRole(t: Tensor, c: RefCase, role: string, rel = 1e-4): Promise<void> {
  expectClose(`${c.name}.${role}`, await t.read(), c.t(role).data, c.t(role).shape, { rel });
}

/** Forward with `f` on the uploaded inputs, backward from the fixture's dy; returns y (the caller disposes all). */
function forwardBackward(gpu: Gpu, c: RefCase, f: () => Tensor): Tensor {
  const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape, 'dy');
  const y = tidy(() => {
    const out = f();
    backward(out, dy);
    return out;
  });
  dy.dispose();
  return y;
}

async function checkConv2d(gpu: Gpu, c: RefCase): Promise<void> {
  const t = upload(gpu, c, ['x', 'w', ...(c.has('b') ? ['b'] : [])], ['x', 'w', 'b']);
  const y = forwardBackward(gpu, c, () => conv2d(t.x!, t.w!, t.b ?? null, c.attrs as Conv2dOptions));
  await expectRole(y, c, 'y');
  await expectRole(t.x!.grad!, c, 'dx');
  await expectRole(t.w!.grad!, c, 'dw');
  if (t.b) await expectRole(t.b.grad!, c, 'db');
}

async function checkBatchnorm2d(gpu: Gpu, c: RefCase): Promise<void> {
  const a = c.attrs as { training: boolean; momentum: number; eps: number; affine?: boolean; relu?: boolean };
  const affine = a.affine ?? true;
  const t = upload(gpu, c, ['x', 'rm0', 'rv0', ...(affine ? ['w', 'b'] : [])], ['x', 'w', 'b']);
  const state = { weight: t.w ?? null, bias: t.b ?? null, runningMean: t.rm0!, runningVar: t.rv0! };
  const op = a.relu ? batchnorm2dRelu : batchnorm2d;
  const y = forwardBackward(gpu, c, () => op(t.x!, state, { training: a.training, momentum: a.momentum, eps: a.eps }));
  await expectRole(y, c, 'y');
  await expectRole(t.rm0!, c, 'rm1');
  await expectRole(t.rv0!, c, 'rv1');
  await expectRole(t.x!.grad!, c, 'dx');
  if (affine) {
    await expectRole(t.w!.grad!, c, 'dw');
    await expectRole(t.b!.grad!, c, 'db');
  }
}

async function checkPool(gpu: Gpu, c: RefCase, f: (x: Tensor) => Tensor): Promise<void> {
  const t = upload(gpu, c, ['x'], ['x']);
  const y = forwardBackward(gpu, c, () => f(t.x!));
  await expectRole(y, c, 'y');
  await expectRole(t.x!.grad!, c, 'dx');
}

function inputCount(c: RefCase): number {
  let count = 0;
  while (c.has(`x${count}`)) count++;
  return count;
}

async function checkConcat(gpu: Gpu, c: RefCase): Promise<void> {
  const roles = Array.from({ length: inputCount(c) }, (_, i) => `x${i}`);
  const t = upload(gpu, c, roles, roles);
  const y = forwardBackward(gpu, c, () => concat(roles.map((r) => t[r]!)));
  await expectRole(y, c, 'y');
  for (const [i, role] of roles.entries()) await expectRole(t[role]!.grad!, c, `dx${i}`);
}

function poolOptions(c: RefCase): Maxpool2dOptions & Avgpool2dOptions {
  return c.attrs as unknown as Maxpool2dOptions & Avgpool2dOptions;
}

/** A fixture case on a device limited to `limit` bytes per binding; `sliced` is the largest batched tensor. */
function sliceCase(label: string, limit: number, sliced: number, check: (gpu: Gpu) => Promise<void>): void {
  it(`${label}: sliced under a ${limit}-byte binding limit`, async () => {
    expect(sliced, 'the case must exceed the limit, or nothing is sliced').toBeGreaterThan(limit);
    await onDevice(limit, check);
  });
}

/** The limit for a case: its largest sample or whole-bound tensor (weights, statistics), so every batch slices. */
function limitFor(...sizes: number[]): number {
  return roundUp256(Math.max(...sizes));
}

describe('ops on tensors over one binding, in batch slices, match PyTorch', () => {
  for (const c of loadCases('conv2d')) {
    const [x, w, y] = [c.t('x').shape, c.t('w').shape, c.t('y').shape];
    if (x[0]! < 2) continue;
    sliceCase(`conv2d ${c.name}`, limitFor(sampleBytes(x), sampleBytes(y), bytes(w)), Math.max(bytes(x), bytes(y)),
      (gpu) => checkConv2d(gpu, c));
  }

  for (const c of loadCases('batchnorm2d')) {
    const x = c.t('x').shape;
    const [n, ch, h, w] = x as [number, number, number, number];
    const part = 16 * n * ch * Math.ceil((h * w) / CHUNK); // stats_finalize binds every slice's partials at once
    const limit = limitFor(sampleBytes(x), part, 4 * 5 * ch);
    if (n < 2 || bytes(x) <= limit) continue;
    sliceCase(`batchnorm2d ${c.name}`, limit, bytes(x), (gpu) => checkBatchnorm2d(gpu, c));
  }

  for (const [op, pool] of [
    ['maxpool2d', (x: Tensor, c: RefCase) => maxpool2d(x, poolOptions(c))],
    ['avgpool2d', (x: Tensor, c: RefCase) => avgpool2d(x, poolOptions(c))],
    ['adaptive_avgpool2d', (x: Tensor, c: RefCase) => adaptiveAvgpool2d(x, c.attrs.outputSize as [number, number])],
  ] as const) {
    for (const c of loadCases(op)) {
      const [x, y] = [c.t('x').shape, c.t('y').shape];
      if (x[0]! < 2) continue;
      sliceCase(`${op} ${c.name}`, limitFor(sampleBytes(x), sampleBytes(y)), Math.max(bytes(x), bytes(y)),
        (gpu) => checkPool(gpu, c, (t) => pool(t, c)));
    }
  }

  for (const c of loadCases('concat')) {
    const y = c.t('y').shape;
    const inputs = Array.from({ length: inputCount(c) }, (_, i) => sampleBytes(c.t(`x${i}`).shape));
    const limit = limitFor(sampleBytes(y), ...inputs);
    if (bytes(y) <= limit) continue;
    sliceCase(`concat ${c.name}`, limit, bytes(y), (gpu) => checkConcat(gpu, c));
  }

  // Flat elementwise ops slice element ranges: 256 bytes is 64 floats.
  for (const c of loadCases('relu')) {
    if (bytes(c.t('x').shape) <= 256) continue;
    sliceCase(`relu ${c.name}`, 256, bytes(c.t('x').shape), async (gpu) => {
      const t = upload(gpu, c, ['x'], ['x']);
      await expectRole(forwardBackward(gpu, c, () => relu(t.x!)), c, 'y');
      await expectRole(t.x!.grad!, c, 'dx');
    });
  }

  for (const c of loadCases('add')) {
    if (bytes(c.t('a').shape) <= 256) continue;
    sliceCase(`add ${c.name}`, 256, bytes(c.t('a').shape), async (gpu) => {
      const t = upload(gpu, c, ['a', 'b'], ['a', 'b']);
      await expectRole(forwardBackward(gpu, c, () => add(t.a!, t.b!, c.attrs.alpha as number)), c, 'y');
      await expectRole(t.a!.grad!, c, 'da');
      await expectRole(t.b!.grad!, c, 'db');
    });
  }

  for (const c of loadCases('adam')) {
    const a = c.attrs as { lr: number; betas: [number, number]; eps: number; weight_decay: number; steps: number;
      shapes: number[][] };
    const largest = Math.max(...a.shapes.map(bytes));
    sliceCase(`adam ${c.name}`, 256, largest, async (gpu) => {
      const params = a.shapes.map((shape, i) => {
        const p = Tensor.fromData(gpu, c.t(`p${i}`).data, shape, `param${i}`);
        p.requiresGrad = true;
        return p;
      });
      const adam = new Adam(params, { lr: a.lr, betas: a.betas, eps: a.eps, weightDecay: a.weight_decay });
      for (let k = 0; k < a.steps; k++) {
        params.forEach((p, i) => {
          p.grad = c.has(`g${i}.${k}`) ? Tensor.fromData(gpu, c.t(`g${i}.${k}`).data, p.shape, `grad${i}`) : null;
        });
        adam.step();
        adam.zeroGrad();
      }
      // The Adam test's bar: the update is elementwise, so slicing changes nothing.
      for (const [i, p] of params.entries()) await expectRole(p, c, `p${i}.final`, 1e-5);
      adam.dispose();
    });
  }

  // Several samples per slice at aligned offsets (byte ranges), misaligned ones (copies), and both in one kernel.
  for (const c of loadCases('sliced')) {
    const op = c.attrs.op as string;
    const shapes = ['x', 'x0', 'x1', 'y'].filter((r) => c.has(r)).map((r) => c.t(r).shape);
    // Slices of 2 samples or more, unless the case sets its own limit (conv_winograd_chunks*: slices whose Winograd
    // intermediates go in chunks).
    const limit = (c.attrs.bindingLimit as number | undefined) ?? limitFor(2 * Math.max(...shapes.map(sampleBytes)));
    const check = (gpu: Gpu): Promise<void> => {
      if (op === 'conv2d') return checkConv2d(gpu, c);
      if (op === 'batchnorm2d') return checkBatchnorm2d(gpu, c);
      if (op === 'maxpool2d') return checkPool(gpu, c, (x) => maxpool2d(x, poolOptions(c)));
      if (op === 'avgpool2d') return checkPool(gpu, c, (x) => avgpool2d(x, poolOptions(c)));
      return checkConcat(gpu, c);
    };
    sliceCase(`${op} ${c.name}`, limit, Math.max(...shapes.map(bytes)), check);
  }
});

describe('batch slicing', () => {
  it('plans slices that fit, at aligned offsets when it can', () => {
    const kernel = 'test';
    const mib128 = 128 * 2 ** 20;
    // VGG16's first conv at 224, batch 15: 192 MB of output in slices of 10 samples.
    const vgg = [{ sampleBytes: 4 * 3 * 224 * 224, role: 'x' }, { sampleBytes: 4 * 64 * 224 * 224, role: 'y' }];
    expect(samplesPerSlice(kernel, 15, vgg, mib128, 256)).toBe(10);
    expect(samplesPerSlice(kernel, 4, vgg, mib128, 256)).toBe(4);
    // 3200-byte samples realign every 2 samples: 7 fit, so slices of 6.
    expect(samplesPerSlice(kernel, 20, [{ sampleBytes: 3200, role: 'x' }], 7 * 3200, 256)).toBe(6);
    // 1188-byte samples realign only every 64: take as many as fit (copied through scratch).
    expect(samplesPerSlice(kernel, 20, [{ sampleBytes: 1188, role: 'x' }], 4096, 256)).toBe(3);
    expect(() => samplesPerSlice(kernel, 2, [{ sampleBytes: 5000, role: 'x' }], 4096, 256)).toThrow(
      /one sample of "x" is 5000 bytes, over this device's maxStorageBufferBindingSize of 4096/,
    );
  });

  it('fails clearly when one sample does not fit one binding', async () => {
    await onDevice(1024, async (gpu) => {
      const x = Tensor.zeros(gpu, [2, 3, 10, 10]); // 1200-byte samples
      const w = Tensor.zeros(gpu, [2, 3, 1, 1]);
      expect(() => conv2d(x, w, null)).toThrow(GpuError);
      expect(() => conv2d(x, w, null)).toThrow(/conv2d.forward: one sample of "x" is 1200 bytes/);
      [x, w].forEach((t) => t.dispose());
    });
  });

  it('lowers the binding limit a device plans with, never above the device', async () => {
    const limit = await onDevice(5000, async (gpu) => gpu.limits.maxStorageBufferBindingSize);
    expect(limit).toBe(4864); // rounded down to a multiple of 256
    const [device, capped] = await Promise.all([
      onDevice(undefined, async (gpu) => gpu.limits.maxStorageBufferBindingSize),
      onDevice(2 ** 40, async (gpu) => gpu.limits.maxStorageBufferBindingSize),
    ]);
    // A limit above the device's is the device's, rounded down to a multiple of 256 like any lowered limit (an
    // NVIDIA driver reports 2^31 - 4).
    expect(capped).toBe(Math.floor(device / 256) * 256);
  });

  it('draws the same dropout mask in element slices', async () => {
    const n = 1000;
    const data = Float32Array.from({ length: n }, (_, i) => 1 + (i % 7));
    const run = (limit: number | undefined) =>
      onDevice(limit, async (gpu) => {
        const x = Tensor.fromData(gpu, data, [n]);
        x.requiresGrad = true;
        const y = tidy(() => {
          const out = dropout(x, { p: 0.5, training: true, seed: 1234 });
          backward(out, Tensor.full(gpu, [n], 1));
          return out;
        });
        return [await y.read(), await x.grad!.read()];
      });
    const [whole, sliced] = [await run(undefined), await run(256)];
    expect(Array.from(sliced[0]!)).toEqual(Array.from(whole[0]!));
    expect(Array.from(sliced[1]!)).toEqual(Array.from(whole[1]!));
    const kept = whole[0]!.filter((v) => v !== 0).length;
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
  });
});
