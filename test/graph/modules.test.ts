import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { AdaptiveAvgPool2d } from '../../src/graph/modules/adaptive_avgpool2d.js';
import { AvgPool2d } from '../../src/graph/modules/avgpool2d.js';
import { BatchNorm2d } from '../../src/graph/modules/batchnorm2d.js';
import { Conv2d } from '../../src/graph/modules/conv2d.js';
import { convBatchNorm } from '../../src/graph/modules/conv_batchnorm2d.js';
import { Dropout } from '../../src/graph/modules/dropout.js';
import { Flatten } from '../../src/graph/modules/flatten.js';
import { Linear } from '../../src/graph/modules/linear.js';
import { MaxPool2d } from '../../src/graph/modules/maxpool2d.js';
import { Module, StateDictError, type ModuleContext } from '../../src/graph/modules/module.js';
import { ModuleDict } from '../../src/graph/modules/module_dict.js';
import { ModuleList } from '../../src/graph/modules/module_list.js';
import { ReLU } from '../../src/graph/modules/relu.js';
import { Sequential } from '../../src/graph/modules/sequential.js';
import { concat } from '../../src/graph/ops/concat.js';
import { conv2d } from '../../src/graph/ops/conv2d.js';
import { tidy } from '../../src/graph/scope.js';
import { noGrad } from '../../src/graph/tape.js';
import { Tensor } from '../../src/graph/tensor.js';
import type { WeightMap } from '../../src/io/weight_tensor.js';
import { expectClose } from '../helpers/compare.js';
import { testGpu } from '../helpers/gpu.js';

async function context(seed = 1): Promise<ModuleContext> {
  return { gpu: await testGpu(), rng: createRng(seed) };
}

class Branch extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(ctx: ModuleContext, kernel: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(ctx, 1, 4, kernel, { padding: (kernel - 1) / 2, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(ctx, 4));
  }

  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x));
  }
}

/** Two parallel conv+bn branches concatenated, then a classifier head: the naming shapes of the real models. */
class Net extends Module {
  readonly branches: ModuleList<Branch>;
  readonly head: Sequential;

  constructor(ctx: ModuleContext) {
    super();
    this.branches = this.registerModule('branches', new ModuleList([new Branch(ctx, 3), new Branch(ctx, 5)]));
    this.head = this.registerModule(
      'head',
      new Sequential(new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.5), new Linear(ctx, 8, 2)),
    );
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(concat([...this.branches].map((b) => b.forward(x))));
  }
}

const NET_KEYS = [
  ...[0, 1].flatMap((i) => [
    `branches.${i}.conv.weight`,
    `branches.${i}.bn.weight`,
    `branches.${i}.bn.bias`,
    `branches.${i}.bn.running_mean`,
    `branches.${i}.bn.running_var`,
    `branches.${i}.bn.num_batches_tracked`,
  ]),
  'head.4.weight',
  'head.4.bias',
];

function shapesOf(map: WeightMap): Record<string, number[]> {
  return Object.fromEntries([...map].map(([k, t]) => [k, t.shape]));
}

describe('modules: parameters and names', () => {
  it('counts parameters as PyTorch does', async () => {
    const ctx = await context();
    const conv = new Conv2d(ctx, 1, 16, 9);
    expect(conv.numParameters()).toBe(16 * 81 + 16);
    expect(conv.weight.shape).toEqual([16, 1, 9, 9]);
    expect([...conv.namedParameters().keys()]).toEqual(['weight', 'bias']);
    const grouped = new Conv2d(ctx, 8, 12, [3, 5], { groups: 4, bias: false });
    expect(grouped.weight.shape).toEqual([12, 2, 3, 5]);
    expect(grouped.numParameters()).toBe(12 * 2 * 15);
    expect(grouped.bias).toBeNull();
    const fc = new Linear(ctx, 10, 4);
    expect(fc.numParameters()).toBe(44);
    const bn = new BatchNorm2d(ctx, 8);
    expect(bn.numParameters()).toBe(16);
    expect([...bn.namedBuffers().keys()]).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.namedBuffers().get('num_batches_tracked')).toBe(0);
    const plain = new BatchNorm2d(ctx, 8, { affine: false, trackRunningStats: false });
    expect(plain.numParameters()).toBe(0);
    expect(plain.namedBuffers().size).toBe(0);
    expect(() => new Conv2d(ctx, 6, 4, 3, { groups: 4 })).toThrow(/groups/);
    [conv, grouped, fc, bn, plain].forEach((m) => m.dispose());
  });

  it('creates parameters that require grad and survive tidy()', async () => {
    const ctx = await context();
    const conv = tidy(() => new Conv2d(ctx, 2, 3, 3));
    for (const p of conv.parameters()) {
      expect(p.requiresGrad).toBe(true);
      expect(p.isDisposed).toBe(false);
    }
    expect((await conv.bias!.read()).every((b) => b === 0)).toBe(true); // glorot scheme: zero biases
    const bound = Math.sqrt(6 / (2 * 9 + 3 * 9));
    const w = await conv.weight.read();
    expect(w.every((v) => Math.abs(v) <= bound)).toBe(true);
    conv.dispose();
    expect(conv.weight.isDisposed).toBe(true);
  });

  it('is initialised by its seed', async () => {
    const a = new Linear(await context(9), 6, 5);
    const b = new Linear(await context(9), 6, 5);
    const c = new Linear(await context(10), 6, 5);
    expect(await a.weight.read()).toEqual(await b.weight.read());
    expect(await a.weight.read()).not.toEqual(await c.weight.read());
    const torchInit = new Linear({ ...(await context(9)), init: 'pytorch' }, 6, 5);
    expect((await torchInit.bias!.read()).some((v) => v !== 0)).toBe(true);
    [a, b, c, torchInit].forEach((m) => m.dispose());
  });

  it('names state dict entries as PyTorch: params, then buffers, then children', async () => {
    const net = new Net(await context());
    const state = await net.stateDict();
    expect([...state.keys()]).toEqual(NET_KEYS);
    expect(shapesOf(state)).toMatchObject({
      'branches.0.conv.weight': [4, 1, 3, 3],
      'branches.1.conv.weight': [4, 1, 5, 5],
      'branches.1.bn.num_batches_tracked': [],
      'head.4.weight': [2, 8],
    });
    expect([...net.namedParameters().keys()]).toEqual(NET_KEYS.filter((k) => !/running|num_batches/.test(k)));
    expect([...net.namedChildren().keys()]).toEqual(['branches', 'head']);
    expect(net.numParameters()).toBe(4 * 9 + 4 * 25 + 2 * (4 + 4) + 8 * 2 + 2);
    net.dispose();
  });

  it('round-trips its state dict into another instance', async () => {
    const a = new Net(await context(1));
    a.branches.at(1).bn.numBatchesTracked = 7;
    const b = new Net(await context(2));
    const state = await a.stateDict();
    expect(state.get('branches.1.bn.num_batches_tracked')!.data[0]).toBe(7);
    expect(await b.branches.at(0).conv.weight.read()).not.toEqual(state.get('branches.0.conv.weight')!.data);
    const weight = b.branches.at(0).conv.weight;
    expect(b.loadStateDict(state)).toEqual({ missing: [], unexpected: [] });
    expect(b.branches.at(0).conv.weight).toBe(weight); // written in place: optimizers keep their references
    expect(b.branches.at(1).bn.numBatchesTracked).toBe(7);
    const again = await b.stateDict();
    for (const [name, t] of state) expect(again.get(name), name).toEqual(t);
    [a, b].forEach((m) => m.dispose());
  });

  it('rejects a state dict listing every missing, unexpected and mis-shaped key at once', async () => {
    const net = new Net(await context());
    const original = await net.stateDict();
    const state: WeightMap = new Map(original);
    state.delete('branches.0.bn.running_var');
    state.delete('head.4.bias');
    state.set('branches.2.conv.weight', { shape: [4, 1, 7, 7], data: new Float32Array(196) });
    state.set('branches.1.conv.weight', { shape: [4, 1, 3, 3], data: new Float32Array(36) });
    state.set('head.4.weight', { shape: [8, 2], data: new Float32Array(16).fill(5) });

    let error: unknown;
    try {
      net.loadStateDict(state);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const { problems, message } = error as StateDictError;
    expect(problems.missing).toEqual([
      { name: 'branches.0.bn.running_var', shape: [4] },
      { name: 'head.4.bias', shape: [2] },
    ]);
    expect(problems.unexpected).toEqual([{ name: 'branches.2.conv.weight', shape: [4, 1, 7, 7] }]);
    expect(problems.misShaped).toEqual([
      { name: 'branches.1.conv.weight', expected: [4, 1, 5, 5], got: [4, 1, 3, 3] },
      { name: 'head.4.weight', expected: [2, 8], got: [8, 2] },
    ]);
    for (const text of [
      'branches.0.bn.running_var [4]',
      'head.4.bias [2]',
      'branches.2.conv.weight [4, 1, 7, 7]',
      'branches.1.conv.weight: expected [4, 1, 5, 5], got [4, 1, 3, 3]',
      'head.4.weight: expected [2, 8], got [8, 2]',
    ]) {
      expect(message).toContain(text);
    }
    // Nothing was written.
    expect(await net.head.layers[4]!.namedParameters().get('weight')!.read()).toEqual(original.get('head.4.weight')!.data);

    // Not strict: missing and unexpected keys are skipped and reported, mis-shaped ones still fail.
    expect(() => net.loadStateDict(state, { strict: false })).toThrow(StateDictError);
    state.set('branches.1.conv.weight', original.get('branches.1.conv.weight')!);
    state.set('head.4.weight', { shape: [2, 8], data: new Float32Array(16).fill(5) });
    expect(net.loadStateDict(state, { strict: false })).toEqual({
      missing: ['branches.0.bn.running_var', 'head.4.bias'],
      unexpected: ['branches.2.conv.weight'],
    });
    expect([...(await net.head.layers[4]!.namedParameters().get('weight')!.read())]).toEqual(new Array(16).fill(5));
    net.dispose();
  });

  it('accepts num_batches_tracked stored as [1] (old PyTorch checkpoints)', async () => {
    const bn = new BatchNorm2d(await context(), 3);
    const state = await bn.stateDict();
    state.set('num_batches_tracked', { shape: [1], data: Float32Array.of(12) });
    bn.loadStateDict(state);
    expect(bn.numBatchesTracked).toBe(12);
    bn.dispose();
  });

  it('propagates train() and eval() through the tree', async () => {
    const net = new Net(await context());
    const all = (m: Module): Module[] => [m, ...[...m.namedChildren().values()].flatMap(all)];
    expect(all(net).length).toBe(1 + 1 + 2 * 3 + 1 + 5);
    expect(all(net).every((m) => m.training)).toBe(true);
    expect(net.eval()).toBe(net);
    expect(all(net).every((m) => !m.training)).toBe(true);
    net.branches.train();
    expect(net.training).toBe(false);
    expect(net.branches.at(1).bn.training).toBe(true);
    net.train();
    expect(all(net).every((m) => m.training)).toBe(true);
    net.dispose();
  });

  it('containers name and find their children', async () => {
    const ctx = await context();
    const dict = new ModuleDict({ stem: new Conv2d(ctx, 1, 2, 3), act: new ReLU() });
    dict.set('fc', new Linear(ctx, 4, 2));
    expect([...dict.namedParameters().keys()]).toEqual(['stem.weight', 'stem.bias', 'fc.weight', 'fc.bias']);
    expect(dict.get('act')).toBeInstanceOf(ReLU);
    expect(() => dict.get('nope')).toThrow(/stem, act, fc/);
    expect(() => dict.set('act', new ReLU())).toThrow(/already registered/);
    expect(() => dict.set('a.b', new ReLU())).toThrow(/invalid member name/);
    const list = new ModuleList([new ReLU(), new Flatten()]);
    expect(list.length).toBe(2);
    expect([...list.namedChildren().keys()]).toEqual(['0', '1']);
    dict.dispose();
  });
});

describe('modules: forward (relu, flatten, concat)', () => {
  it('Sequential chains its layers and gradients flow back', async () => {
    const { gpu } = await context();
    const x = Tensor.fromData(gpu, [-1, 2, 0, 3, -4, 5, 6, -7], [2, 2, 2, 1], 'x');
    x.requiresGrad = true;
    const net = new Sequential(new ReLU(), new Flatten());
    const dy = Tensor.fromData(gpu, [1, 2, 3, 4, 5, 6, 7, 8], [2, 4], 'dy');
    const y = tidy(() => {
      const out = net.forward(x);
      backward(out, dy);
      return out;
    });
    expect(y.shape).toEqual([2, 4]);
    expect([...(await y.read())]).toEqual([0, 2, 0, 3, 0, 5, 6, 0]);
    expect([...(await x.grad!.read())]).toEqual([0, 2, 0, 4, 0, 6, 7, 0]);
    [x, dy, y].forEach((t) => t.dispose());
  });

  it('Flatten keeps dims before startDim', async () => {
    const { gpu } = await context();
    const x = Tensor.zeros(gpu, [2, 3, 4, 5]);
    const [a, b] = noGrad(() => [new Flatten().forward(x), new Flatten(2).forward(x)]);
    expect(a!.shape).toEqual([2, 60]);
    expect(b!.shape).toEqual([2, 3, 20]);
    [x, a!, b!].forEach((t) => t.dispose());
  });
});

describe('modules: forward (ops conv2d, batchnorm2d, pools, linear, dropout)', () => {
  it('Conv2d applies its stride, padding and groups, and gets gradients', async () => {
    const ctx = await context();
    const conv = new Conv2d(ctx, 4, 6, 3, { stride: 2, padding: 1, groups: 2 });
    const x = Tensor.fromData(ctx.gpu, Float32Array.from({ length: 2 * 4 * 7 * 7 }, (_, i) => Math.sin(i)), [2, 4, 7, 7]);
    const y = tidy(() => {
      const out = conv.forward(x);
      backward(out, Tensor.full(ctx.gpu, out.shape, 1));
      return out;
    });
    expect(y.shape).toEqual([2, 6, 4, 4]);
    expect(conv.weight.grad!.shape).toEqual([6, 2, 3, 3]);
    // d(sum y)/d bias = number of output positions per channel.
    expect([...(await conv.bias!.grad!.read())]).toEqual(new Array(6).fill(2 * 16));
    [x, y].forEach((t) => t.dispose());
    conv.dispose();
  });

  it('an inference conv + batch norm regroups its weights once, again only after a write or training', async () => {
    const ctx = await context();
    const conv = new Conv2d(ctx, 8, 32, 3, { padding: 1 });
    const bn = new BatchNorm2d(ctx, 32);
    conv.eval();
    bn.eval();
    const data = Float32Array.from({ length: 8 * 6 * 6 }, (_, i) => Math.sin(i * 0.3));
    const x = Tensor.fromData(ctx.gpu, data, [1, 8, 6, 6]);
    // What runs, and the result against the conv and the batch norm run one after the other.
    const run = async (): Promise<string[]> => {
      ctx.gpu.startProfiling();
      const y = noGrad(() => convBatchNorm(conv, bn, x, true));
      const kernels = (await ctx.gpu.stopProfiling()).map((k) => k.name);
      const want = noGrad(() => bn.forwardRelu(conv.forward(x)));
      expectClose('y', await y.read(), await want.read(), y.shape);
      [y, want].forEach((t) => t.dispose());
      return kernels.filter((k) => k.startsWith('conv2d.'));
    };
    // Only a software device's 'subgroup' forward reads regrouped weights (36 outputs a channel: too few for it to
    // regroup them itself every forward); a hardware GPU runs another variant.
    const software = ctx.gpu.isSoftware !== false;
    const regrouped = software ? ['conv2d.tap_major_weights', 'conv2d.forward_3_subgroup'] : [];
    const first = await run();
    expect(first).toEqual(expect.arrayContaining(regrouped));
    expect((await run()).filter((k) => k === 'conv2d.tap_major_weights')).toEqual([]);
    conv.weight.write(Float32Array.from({ length: conv.weight.size }, (_, i) => Math.cos(i * 0.7) * 0.1));
    expect(await run()).toEqual(expect.arrayContaining(regrouped));
    // Back to training the copy goes (the weights are about to change): the next inference regroups again.
    conv.train();
    conv.eval();
    expect(await run()).toEqual(expect.arrayContaining(regrouped));
    if (software) {
      // The forward reads the kept copy: written over with zeros (the weights themselves unchanged), y is the
      // batch norm of the bias alone.
      const kept = conv.evalTapMajorWeights(x)!;
      kept.write(new Float32Array(kept.size));
      const zeros = Tensor.fromData(ctx.gpu, new Float32Array(conv.weight.size), conv.weight.shape);
      const y = noGrad(() => convBatchNorm(conv, bn, x, true));
      const want = noGrad(() => bn.forwardRelu(conv2d(x, zeros, conv.bias, conv.opOptions())));
      expectClose('y from the kept copy', await y.read(), await want.read(), y.shape);
      [zeros, y, want].forEach((t) => t.dispose());
    }
    x.dispose();
    [conv, bn].forEach((m) => m.dispose());
  });

  it('Conv2d.forward in inference regroups its weights once and gives the same y', async () => {
    const ctx = await context();
    const conv = new Conv2d(ctx, 8, 32, 3, { padding: 1 });
    const data = Float32Array.from({ length: 2 * 8 * 5 * 7 }, (_, i) => Math.cos(i * 0.2));
    const x = Tensor.fromData(ctx.gpu, data, [2, 8, 5, 7]);
    const regroups = async (forward: () => Tensor): Promise<number> => {
      ctx.gpu.startProfiling();
      const y = forward();
      const kernels = (await ctx.gpu.stopProfiling()).map((k) => k.name);
      const want = noGrad(() => conv2d(x, conv.weight, conv.bias, conv.opOptions()));
      expectClose('y', await y.read(), await want.read(), y.shape);
      [y, want].forEach((t) => t.dispose());
      return kernels.filter((k) => k === 'conv2d.tap_major_weights').length;
    };
    const software = ctx.gpu.isSoftware !== false;
    // Training mode (the default): the conv regroups nothing of its own (36 outputs a channel are too few for the
    // forward to regroup them itself).
    expect(await regroups(() => noGrad(() => conv.forward(x)))).toBe(0);
    conv.eval();
    expect(await regroups(() => noGrad(() => conv.forward(x)))).toBe(software ? 1 : 0);
    expect(await regroups(() => noGrad(() => conv.forward(x)))).toBe(0);
    if (software) {
      // What the forward reads is the kept copy: zeros written over it leave the bias alone in y.
      const kept = conv.evalTapMajorWeights(x)!;
      kept.write(new Float32Array(kept.size));
      const y = noGrad(() => conv.forward(x));
      const bias = await conv.bias!.read();
      const want = Float32Array.from({ length: y.size }, (_, i) => bias[Math.floor(i / 35) % 32]!);
      expectClose('y from the kept copy', await y.read(), want, y.shape);
      y.dispose();
    }
    x.dispose();
    conv.dispose();
  });

  it('Linear computes x w^T + b', async () => {
    const ctx = await context();
    const fc = new Linear(ctx, 3, 2);
    fc.loadStateDict(new Map([
      ['weight', { shape: [2, 3], data: Float32Array.of(1, 2, 3, -1, 0, 1) }],
      ['bias', { shape: [2], data: Float32Array.of(0.5, -0.5) }],
    ]));
    const x = Tensor.fromData(ctx.gpu, [1, 1, 1, 2, 0, -1], [2, 3]);
    const y = noGrad(() => fc.forward(x));
    expectClose('y', await y.read(), [6.5, -0.5, -0.5, -3.5], [2, 2]);
    [x, y].forEach((t) => t.dispose());
    fc.dispose();
  });

  it('BatchNorm2d counts training batches and updates running stats; eval uses them', async () => {
    const ctx = await context();
    const bn = new BatchNorm2d(ctx, 2, { momentum: null });
    const data = Float32Array.from({ length: 3 * 2 * 2 * 2 }, (_, i) => (i * 7) % 11);
    const x = Tensor.fromData(ctx.gpu, data, [3, 2, 2, 2]);
    const mean = [0, 1].map((c) => {
      let s = 0;
      for (let n = 0; n < 3; n++) for (let k = 0; k < 4; k++) s += data[n * 8 + c * 4 + k]!;
      return s / 12;
    });
    noGrad(() => bn.forward(x)).dispose();
    expect(bn.numBatchesTracked).toBe(1);
    // momentum null: cumulative average, so after one batch the running mean is the batch mean.
    expectClose('running_mean', await bn.runningMean!.read(), mean, [2]);

    bn.eval();
    const y = noGrad(() => bn.forward(x));
    expect(bn.numBatchesTracked).toBe(1);
    const rv = await bn.runningVar!.read();
    const want = Array.from(data, (v, i) => {
      const c = Math.floor(i / 4) % 2;
      return (v - mean[c]!) / Math.sqrt(rv[c]! + 1e-5);
    });
    expectClose('y', await y.read(), want, [3, 2, 2, 2]);
    [x, y].forEach((t) => t.dispose());
    bn.dispose();
  });

  it('pooling layers produce PyTorch output shapes', async () => {
    const { gpu } = await context();
    const x = Tensor.fromData(gpu, Float32Array.from({ length: 2 * 3 * 9 * 9 }, (_, i) => i % 13), [2, 3, 9, 9]);
    const shapes = noGrad(() => [
      new MaxPool2d(2).forward(x),
      new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x),
      new MaxPool2d(2, { ceilMode: true }).forward(x),
      new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }).forward(x),
      new AdaptiveAvgPool2d(1).forward(x),
      new AdaptiveAvgPool2d([2, 3]).forward(x),
    ]).map((t) => {
      t.dispose();
      return t.shape;
    });
    expect(shapes).toEqual([[2, 3, 4, 4], [2, 3, 5, 5], [2, 3, 5, 5], [2, 3, 9, 9], [2, 3, 1, 1], [2, 3, 2, 3]]);
    x.dispose();
  });

  it('Dropout is the identity in eval and a fresh scaled mask per training call', async () => {
    const { gpu } = await context();
    const x = Tensor.full(gpu, [4, 256], 1);
    const drop = new Dropout(0.5, { seed: 3 });
    const [a, b] = noGrad(() => [drop.forward(x), drop.forward(x)]);
    const va = await a!.read();
    expect(va.every((v) => v === 0 || v === 2)).toBe(true);
    expect(va.some((v) => v === 0) && va.some((v) => v === 2)).toBe(true);
    expect(await b!.read()).not.toEqual(va);
    const replay = noGrad(() => new Dropout(0.5, { seed: 3 }).forward(x));
    expect(await replay.read()).toEqual(va);
    drop.eval();
    const y = noGrad(() => drop.forward(x));
    expect((await y.read()).every((v) => v === 1)).toBe(true);
    [x, a!, b!, replay, y].forEach((t) => t.dispose());
  });
});
