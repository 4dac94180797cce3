/**
 * One training step of ResNet-18 against PyTorch (test/reference/resnet18_step.py): torchvision's resnet18 with a
 * 4-class head, the same hashed weights and input on both sides (test/helpers/hash_weights.ts), train-mode batch
 * norm, mean softmax cross-entropy and one Adam step at lr 3e-4 as the trainer takes it. The fixture holds a digest
 * (see the script): every small parameter in full, the conv weights at sampled positions and as per-output-channel
 * norms and projections, so every parameter tensor, and every element through its channel's aggregates, is checked.
 *
 * The bars: relative error <= 1e-4 on the gradients (the project's op bar; measured about 1e-5), <= 1e-3 on the
 * update (new - old) and its norms. Adam's first step moves each weight by lr * g / (|g| + eps), about lr * sign(g),
 * so the update of an element whose gradient is within the gradient's tolerance of zero is not determined by a
 * gradient that passes: near |g| ~ 1e-6 the eps term turns the gradient's float32 error into an update error above
 * 1e-3, and nearer zero the sign may flip. Such elements are counted and reported, not hidden: the elementwise
 * update check (|du| <= 1e-3 lr) must hold for every other element, and a mismatch is only excused when its
 * reference gradient is below the gradient bar, |g| <= 1e-4 rms(g) of its tensor.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { backward } from '../../src/graph/autograd.js';
import { softmaxCrossEntropy } from '../../src/graph/ops/softmax_cross_entropy.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import type { WeightMap } from '../../src/io/weight_tensor.js';
import { modelEntry } from '../../src/models/registry.js';
import { Adam } from '../../src/train/adam.js';
import { expectClose, relativeError } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { testGpu } from '../helpers/gpu.js';
import { hashedInput, hashedStateDict, hashUniform, stateLayout } from '../helpers/hash_weights.js';

const GRAD_REL = 1e-4;
const UPDATE_REL = 1e-3;

interface StepAttrs {
  inputShape: number[];
  weightSeed: number;
  inputSeed: number;
  numClasses: number;
  lr: number;
  projSeed: number;
}

interface StepResult {
  logits: Float32Array;
  loss: Float32Array;
  /** Parameter gradients, read before the Adam step. */
  grads: Map<string, Float32Array>;
  before: WeightMap;
  after: WeightMap;
  /** Index of each entry in the state dict (the stream of its projection vector). */
  index: Map<string, number>;
}

const c: RefCase = loadCases('resnet18_step')[0]!;
const attrs = c.attrs as unknown as StepAttrs;
let result: StepResult;

beforeAll(async () => {
  const gpu = await testGpu();
  const model = modelEntry('resnet18').build({ gpu, rng: createRng(0) }, { numClasses: attrs.numClasses, inputSize: attrs.inputShape[2]! });
  const layout = stateLayout(model);
  const before = hashedStateDict(layout, attrs.weightSeed);
  model.loadStateDict(before);
  model.train();
  const optimizer = new Adam(model.namedParameters(), { lr: attrs.lr });
  const x = Tensor.fromData(gpu, hashedInput(attrs.inputSeed, attrs.inputShape), attrs.inputShape);
  const labels = Tensor.fromData(gpu, c.t('labels').data, c.t('labels').shape);
  const [logits, loss] = tidy(() => {
    const out = model.forward(x);
    const l = softmaxCrossEntropy(out, labels);
    backward(l);
    return [out, l];
  });
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) grads.set(name, await p.grad!.read());
  tidy(() => optimizer.step());
  result = {
    logits: await logits.read(),
    loss: await loss.read(),
    grads,
    before,
    after: await model.stateDict(),
    index: new Map(layout.map((k, i) => [k.name, i])),
  };
  [x, labels, logits, loss].forEach((t) => t.dispose());
  optimizer.dispose();
  model.dispose();
});

/** Per row of a [rows, rest] view: the L2 norm, and the dot product with `r` when given. */
function perRow(data: ArrayLike<number>, rows: number, r?: Float64Array): { norm: number[]; proj: number[] } {
  const cols = data.length / rows;
  const norm: number[] = [];
  const proj: number[] = [];
  for (let row = 0; row < rows; row++) {
    let sq = 0;
    let dot = 0;
    for (let j = row * cols; j < (row + 1) * cols; j++) {
      sq += data[j]! * data[j]!;
      if (r) dot += r[j]! * data[j]!;
    }
    norm.push(Math.sqrt(sq));
    proj.push(dot);
  }
  return { norm, proj };
}

const parameterNames = (): string[] => [...result.grads.keys()];
const isSampled = (name: string): boolean => c.has(`idx.${name}`);

/** The stored positions of a parameter: all of them, or the sampled ones. */
function positions(name: string): number[] {
  if (isSampled(name)) return Array.from(c.t(`idx.${name}`).data);
  return Array.from({ length: result.grads.get(name)!.length }, (_, i) => i);
}

describe('ResNet-18: one training step against PyTorch (train-mode batch norm, Adam lr 3e-4)', () => {
  it('logits and loss', () => {
    expectClose('logits', result.logits, c.t('logits').data, c.t('logits').shape);
    expectClose('loss', result.loss, c.t('loss').data, [1]);
  });

  it('running statistics and num_batches_tracked after the step', () => {
    let checked = 0;
    for (const [name, t] of result.after) {
      if (name.endsWith('num_batches_tracked')) {
        expect(t.data[0], name).toBe(1);
      } else if (name.endsWith('running_mean') || name.endsWith('running_var')) {
        const want = c.t(`after.${name}`);
        expectClose(name, t.data, want.data, want.shape);
        checked++;
      }
    }
    expect(checked).toBe(2 * 20); // 20 batch norms
  });

  it('every parameter\'s gradient: in full or sampled, and per output channel (norm, projection)', () => {
    const worst = { elements: 0, norms: 0, projections: 0 };
    const check = (what: keyof typeof worst, label: string, got: ArrayLike<number>, want: ArrayLike<number>): void => {
      const error = relativeError(got, want);
      worst[what] = Math.max(worst[what], error);
      expect(error, label).toBeLessThanOrEqual(GRAD_REL);
    };
    for (const name of parameterNames()) {
      const g = result.grads.get(name)!;
      const at = positions(name);
      check('elements', `${name}: gradient at ${at.length} positions`, at.map((i) => g[i]!), c.t(`grad.${name}`).data);
      if (!isSampled(name)) continue;
      const shape = result.after.get(name)!.shape;
      const rows = perRow(g, shape[0]!, hashUniform(attrs.projSeed, result.index.get(name)!, g.length));
      check('norms', `${name}: per-channel gradient norms`, rows.norm, c.t(`grad_norm.${name}`).data);
      check('projections', `${name}: per-channel gradient projections`, rows.proj, c.t(`grad_proj.${name}`).data);
    }
    console.log(
      `gradients, largest relative error of a tensor: elements ${worst.elements.toExponential(2)}, ` +
        `channel norms ${worst.norms.toExponential(2)}, channel projections ${worst.projections.toExponential(2)}`,
    );
  });

  it('every parameter\'s Adam update (new - old): elementwise where stored, per-channel norms elsewhere', () => {
    const lr = attrs.lr;
    let compared = 0;
    let matched = 0;
    const illConditioned: string[] = [];
    const wrong: string[] = [];
    for (const name of parameterNames()) {
      const start = result.before.get(name)!.data;
      const end = result.after.get(name)!.data;
      const update = end.map((v, i) => v - start[i]!);
      const at = positions(name);
      const want = c.t(`update.${name}`).data;
      const gradRef = c.t(`grad.${name}`).data;
      // rms of the reference gradient over the whole tensor (from the channel norms when sampled).
      const rms = isSampled(name)
        ? Math.hypot(...c.t(`grad_norm.${name}`).data) / Math.sqrt(update.length)
        : Math.hypot(...gradRef) / Math.sqrt(gradRef.length);
      // Elements whose update is determined by a gradient that passes (all but the ill-conditioned ones).
      const got: number[] = [];
      const ref: number[] = [];
      at.forEach((i, k) => {
        compared++;
        const nearZero = Math.abs(gradRef[k]!) <= GRAD_REL * rms;
        if (Math.abs(update[i]! - want[k]!) <= UPDATE_REL * lr) matched++;
        else {
          const line = `${name}[${i}]: update ${update[i]} want ${want[k]} (grad ${result.grads.get(name)![i]} want ${gradRef[k]})`;
          (nearZero ? illConditioned : wrong).push(line);
        }
        if (!nearZero) {
          got.push(update[i]!);
          ref.push(want[k]!);
        }
      });
      expect(relativeError(got, ref), `${name}: update at ${got.length} of ${at.length} stored positions`).toBeLessThanOrEqual(UPDATE_REL);
      if (!isSampled(name)) continue;
      const shape = result.after.get(name)!.shape;
      expect(relativeError(perRow(update, shape[0]!).norm, c.t(`update_norm.${name}`).data), `${name}: per-channel update norms`)
        .toBeLessThanOrEqual(UPDATE_REL);
    }
    console.log(
      `Adam update: ${matched} of ${compared} stored elements within ${UPDATE_REL} lr of PyTorch's; ` +
        `${illConditioned.length} ill-conditioned (|grad| <= ${GRAD_REL} rms of its tensor)` +
        (illConditioned.length > 0 ? `:\n  ${illConditioned.join('\n  ')}` : ''),
    );
    expect(wrong, 'update mismatches where the gradient is not near zero').toEqual([]);
  });
});
