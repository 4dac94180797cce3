/**
 * Interleaved A/B timing of a whole model step across source trees, in one process:
 *   npx vite-node bench/ab_step.ts -- [--roots /tmp/base,.] [--rounds 6] [--model resnet50] [--batch 1] [--infer]
 * A training step is forward, cross-entropy, backward and Adam (lr 3e-4), as `cnnx train` runs one; --infer is the
 * eval-mode forward under noGrad, as `cnnx predict` runs it. Each tree builds the model from the same seed and feeds
 * the same random batch; after a warm-up step the trees take turns, one step each per round, timed on the wall clock
 * up to the read of its output (which it prints, so trees that compute differently show it). bench/ab_kernel.ts does
 * the same for one kernel; this shows what a kernel change is worth to a model, its other passes included.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    roots: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '6' },
    model: { type: 'string', default: 'resnet50' },
    batch: { type: 'string', default: '1' },
    infer: { type: 'boolean', default: false },
  },
});
const BATCH = Number(opts.batch);
const CLASSES = 4;

interface Tree {
  root: string;
  step: () => Promise<number>;
  release: () => Promise<void>;
  ms: number[];
  out: number;
}

const trees: Tree[] = [];
for (const root of opts.roots.split(',').map((r) => resolve(r))) {
  const { createNodePlatform } = await import(`${root}/src/platform/node.ts`);
  const { Gpu } = await import(`${root}/src/runtime/gpu.ts`);
  const { createRng } = await import(`${root}/src/data/prng.ts`);
  const { backward } = await import(`${root}/src/graph/autograd.ts`);
  const { softmaxCrossEntropy } = await import(`${root}/src/graph/ops/softmax_cross_entropy.ts`);
  const { tidy } = await import(`${root}/src/graph/scope.ts`);
  const { noGrad } = await import(`${root}/src/graph/tape.ts`);
  const { Tensor } = await import(`${root}/src/graph/tensor.ts`);
  const { modelEntry } = await import(`${root}/src/models/registry.ts`);
  const { Adam } = await import(`${root}/src/train/adam.ts`);
  const platform = createNodePlatform();
  const gpu = await Gpu.create(platform);
  const model = modelEntry(opts.model).build({ gpu, rng: createRng(0) }, { numClasses: CLASSES });
  const { channels, height, width } = model.input;
  const rng = createRng(1);
  const data = Float32Array.from({ length: BATCH * channels * height * width }, () => rng.next() - 0.5);
  const x = Tensor.fromData(gpu, data, [BATCH, channels, height, width]);
  const labels = Tensor.fromData(gpu, Float32Array.from({ length: BATCH }, (_, i) => i % CLASSES), [BATCH]);
  const optimizer = opts.infer ? null : new Adam(model.namedParameters(), { lr: 3e-4 });
  if (opts.infer) model.eval();
  else model.train();
  const run = (): typeof x =>
    opts.infer
      ? noGrad(() => tidy(() => model.forward(x)))
      : tidy(() => {
          const loss = softmaxCrossEntropy(model.forward(x), labels);
          backward(loss);
          optimizer!.step();
          optimizer!.zeroGrad();
          return loss;
        });
  const step = async (): Promise<number> => {
    const out = run();
    const first = (await out.read())[0]!;
    out.dispose();
    return first;
  };
  const release = async (): Promise<void> => {
    [x, labels].forEach((t) => t.dispose());
    optimizer?.dispose();
    model.dispose();
    await gpu.sync();
    gpu.destroy();
    platform.release();
  };
  await step();
  trees.push({ root, step, release, ms: [], out: NaN });
}
for (let r = 0; r < Number(opts.rounds); r++) {
  for (const t of trees) {
    const start = performance.now();
    t.out = await t.step();
    t.ms.push(performance.now() - start);
  }
}
const what = `${opts.model} ${opts.infer ? 'inference' : 'training step'}, batch ${BATCH}`;
for (const t of trees) {
  const sorted = [...t.ms].sort((a, b) => a - b);
  // Steps of a hardware GPU take milliseconds: their runs keep a decimal.
  const runs = t.ms.map((ms) => ms.toFixed(ms < 100 ? 1 : 0)).join(' ');
  console.log(`${what} ${t.root}: median ${sorted[sorted.length >> 1]!.toFixed(1)} ms (${runs}); output ${t.out}`);
  await t.release();
}
