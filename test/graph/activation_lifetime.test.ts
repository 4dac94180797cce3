/**
 * Activations live only as long as backward needs them: a training step's forward frees its intermediates as it
 * goes (Sequential, the blocks' tidy scopes), each node frees what it saved once its rule has run, and a graph that
 * is never back-propagated is freed with the scope that recorded it. Memory is the buffer pool's in-use bytes, in
 * its size classes, as `cnnx bench --memory` counts it.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { AdaptiveAvgPool2d } from '../../src/graph/modules/adaptive_avgpool2d.js';
import { BatchNorm2d } from '../../src/graph/modules/batchnorm2d.js';
import { Conv2d } from '../../src/graph/modules/conv2d.js';
import { Flatten } from '../../src/graph/modules/flatten.js';
import { Linear } from '../../src/graph/modules/linear.js';
import { MaxPool2d } from '../../src/graph/modules/maxpool2d.js';
import { Module, type Layer, type ModuleContext } from '../../src/graph/modules/module.js';
import { ReLU } from '../../src/graph/modules/relu.js';
import { Sequential } from '../../src/graph/modules/sequential.js';
import { relu } from '../../src/graph/ops/relu.js';
import { softmaxCrossEntropy } from '../../src/graph/ops/softmax_cross_entropy.js';
import { disposeIntermediate, keep, tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { BasicBlock } from '../../src/models/backbones/resnet.js';
import { sizeClass } from '../../src/runtime/buffer_pool.js';
import type { Gpu } from '../../src/runtime/gpu.js';
import { testGpu } from '../helpers/gpu.js';

const BATCH = 4;
const SHAPE = [BATCH, 3, 16, 16];
const CLASSES = 5;

async function context(seed = 1): Promise<ModuleContext> {
  return { gpu: await testGpu(), rng: createRng(seed) };
}

/** conv -> bn -> relu, twice, max pool, linear: every kind of intermediate a plain chain makes. */
function plainNet(ctx: ModuleContext): Sequential {
  return new Sequential(
    new Conv2d(ctx, 3, 8, 3, { padding: 1 }), new BatchNorm2d(ctx, 8), new ReLU(),
    new Conv2d(ctx, 8, 8, 3, { padding: 1 }), new BatchNorm2d(ctx, 8), new ReLU(),
    new MaxPool2d(2), new Flatten(), new Linear(ctx, 8 * 8 * 8, CLASSES),
  );
}

/** A stem and two ResNet BasicBlocks (identity and downsampling shortcut): branches inside tidy-scoped blocks. */
function blockNet(ctx: ModuleContext): Sequential {
  return new Sequential(
    new Conv2d(ctx, 3, 8, 3, { padding: 1, bias: false }), new BatchNorm2d(ctx, 8), new ReLU(),
    new BasicBlock(ctx, 8, 8, 1), new BasicBlock(ctx, 8, 16, 2),
    new AdaptiveAvgPool2d(1), new Flatten(), new Linear(ctx, 16, CLASSES),
  );
}

function inputs(gpu: Gpu, seed: number): { x: Tensor; labels: Tensor } {
  const rng = createRng(seed);
  const size = SHAPE.reduce((a, b) => a * b, 1);
  const x = Tensor.fromData(gpu, Float32Array.from({ length: size }, () => rng.next() * 2 - 1), SHAPE, 'test:x');
  const labels = Tensor.fromData(gpu, Float32Array.from({ length: BATCH }, (_, i) => i % CLASSES), [BATCH], 'test:labels');
  return { x, labels };
}

const inUse = (gpu: Gpu): number => gpu.poolStats().inUseBytes;
const poolBytes = (tensors: readonly Tensor[]): number => tensors.reduce((sum, t) => sum + sizeClass(t.storage.bytes), 0);

async function readGrads(model: Module): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const p of model.parameters()) {
    out.push(await p.grad!.read());
    p.grad!.dispose();
    p.grad = null;
  }
  return out;
}

type StepMemory = {
  activations: number;
  heldAfterBackward: number;
  /** The step's own tensors, still owned by its scope after backward: x, labels, logits and loss. */
  stepTensors: number;
  afterStep: number;
};

/** One training step's forward and backward in a tidy, measured as `cnnx bench --memory` does. */
function measuredStep(gpu: Gpu, model: Module & Layer, seed: number): StepMemory {
  const before = inUse(gpu);
  const m = tidy((): StepMemory => {
    const { x, labels } = inputs(gpu, seed);
    const logits = model.forward(x);
    const loss = softmaxCrossEntropy(logits, labels);
    const activations = inUse(gpu) - before;
    backward(loss);
    const grads = poolBytes(model.parameters().map((p) => p.grad!));
    return { activations, heldAfterBackward: inUse(gpu) - before - grads, stepTensors: poolBytes([x, labels, logits, loss]), afterStep: 0 };
  });
  m.afterStep = inUse(gpu) - before - poolBytes(model.parameters().map((p) => p.grad!));
  return m;
}

describe('activations are freed as soon as backward has used them', () => {
  for (const [name, build] of [['a plain Sequential', plainNet], ['ResNet BasicBlocks', blockNet]] as const) {
    it(`${name}: after backward only the step's own tensors and the gradients are live`, async () => {
      const ctx = await context();
      const model = build(ctx).train();
      const m = measuredStep(ctx.gpu, model, 2);
      // Exactly x, labels, logits and loss: no layer output, no saved tensor, nothing backward made.
      expect(m.heldAfterBackward).toBe(m.stepTensors);
      expect(m.activations).toBeGreaterThan(8 * m.stepTensors);
      expect(m.afterStep).toBe(0);
      await readGrads(model);
      model.dispose();
    });
  }

  it('gradients are bit-identical to a forward that frees nothing early', async () => {
    const ctx = await context();
    for (const build of [plainNet, blockNet]) {
      const model = build(ctx).train();
      const step = (forward: (x: Tensor) => Tensor): void => tidy(() => {
        const { x, labels } = inputs(ctx.gpu, 3);
        backward(softmaxCrossEntropy(forward(x), labels));
      });
      step((x) => model.forward(x));
      const freed = await readGrads(model);
      // The same layers chained by hand: every output stays owned by the step's scope until it ends.
      step((x) => model.layers.reduce((y, layer) => layer.forward(y), x));
      const kept = await readGrads(model);
      expect(freed.length).toBe(model.parameters().length);
      freed.forEach((g, i) => expect(g, `parameter ${i}`).toEqual(kept[i]));
      model.dispose();
    }
  });

  it('backward walks a graph whose intermediate tensors were disposed', async () => {
    const ctx = await context();
    const model = plainNet(ctx).train();
    const gradsWith = async (disposeEarly: boolean): Promise<Float32Array[]> => {
      tidy(() => {
        const { x, labels } = inputs(ctx.gpu, 4);
        const hidden = relu(x);
        const logits = model.forward(hidden);
        if (disposeEarly) hidden.dispose();
        backward(softmaxCrossEntropy(logits, labels));
      });
      return readGrads(model);
    };
    expect(await gradsWith(true)).toEqual(await gradsWith(false));
    model.dispose();
  });
});

describe('a recorded graph lives as long as its scope lets a tensor of it out', () => {
  it('a training-mode forward that is never back-propagated leaks nothing once its tidy ends', async () => {
    const ctx = await context();
    for (const build of [plainNet, blockNet]) {
      const model = build(ctx).train();
      const before = inUse(ctx.gpu);
      let dropped: Tensor | null = null;
      tidy(() => {
        const { x, labels } = inputs(ctx.gpu, 5);
        dropped = softmaxCrossEntropy(model.forward(x), labels);
      });
      expect(inUse(ctx.gpu)).toBe(before);
      expect(() => backward(dropped!)).toThrow(/already freed/);
      model.dispose();
    }
  });

  it('an exception mid-step frees the step\'s tensors and graph', async () => {
    const ctx = await context();
    const model = blockNet(ctx).train();
    const before = inUse(ctx.gpu);
    expect(() => tidy(() => {
      const { x, labels } = inputs(ctx.gpu, 6);
      softmaxCrossEntropy(model.forward(x), labels);
      throw new Error('failed mid-step');
    })).toThrow('failed mid-step');
    expect(inUse(ctx.gpu)).toBe(before);
    model.dispose();
  });

  it('a loss returned from an inner tidy back-propagates in the outer one, and a second backward is refused', async () => {
    const ctx = await context();
    const model = blockNet(ctx).train();
    const before = inUse(ctx.gpu);
    tidy(() => {
      const loss = tidy(() => {
        const { x, labels } = inputs(ctx.gpu, 7);
        return softmaxCrossEntropy(model.forward(x), labels);
      });
      backward(loss);
      expect(() => backward(loss)).toThrow(/already freed by an earlier backward/);
    });
    const nested = await readGrads(model);
    tidy(() => {
      const { x, labels } = inputs(ctx.gpu, 7);
      backward(softmaxCrossEntropy(model.forward(x), labels));
    });
    expect(nested).toEqual(await readGrads(model));
    expect(inUse(ctx.gpu)).toBe(before);
    model.dispose();
  });

  it('a graph that leaves every scope (returned, or kept) waits for backward', async () => {
    const ctx = await context();
    const model = plainNet(ctx).train();
    const before = inUse(ctx.gpu);
    const returned = tidy(() => {
      const { x, labels } = inputs(ctx.gpu, 8);
      return softmaxCrossEntropy(model.forward(x), labels);
    });
    let kept: Tensor | null = null;
    tidy(() => {
      const { x } = inputs(ctx.gpu, 8);
      kept = keep(model.forward(x));
    });
    expect(inUse(ctx.gpu)).toBeGreaterThan(before + poolBytes([returned, kept!]));
    backward(returned);
    const seed = Tensor.full(ctx.gpu, kept!.shape, 0.5);
    backward(kept!, seed);
    [returned, kept!, seed].forEach((t) => t.dispose());
    expect((await readGrads(model)).length).toBe(model.parameters().length);
    expect(inUse(ctx.gpu)).toBe(before);
    model.dispose();
  });
});

describe('disposeIntermediate and Sequential free only what a scope owns', () => {
  class Identity extends Module implements Layer {
    forward(x: Tensor): Tensor {
      return x;
    }
  }

  it('never frees the caller\'s input, a tensor passed through, a kept tensor or one outside every scope', async () => {
    const gpu = await testGpu();
    const outside = Tensor.zeros(gpu, [4]);
    disposeIntermediate(outside);
    expect(outside.isDisposed).toBe(false);
    tidy(() => {
      const x = Tensor.zeros(gpu, [4]);
      const seq = new Sequential(new Identity(), new Identity());
      expect(seq.forward(x)).toBe(x);
      expect(x.isDisposed).toBe(false);
      const held = keep(Tensor.zeros(gpu, [4]));
      disposeIntermediate(held);
      expect(held.isDisposed).toBe(false);
      held.dispose();
      const temporary = Tensor.zeros(gpu, [4]);
      disposeIntermediate(temporary);
      expect(temporary.isDisposed).toBe(true);
    });
    outside.dispose();
  });
});
