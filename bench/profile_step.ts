/**
 * Where one step of a model spends its GPU time: `npx vite-node bench/profile_step.ts [options]`
 *   --model resnet50 --batch 4 [--infer] [--by-shape] [--top 30] [--size 224]
 * Runs a warm-up step, then one step with every dispatch timed by GPU timestamps (each in a pass of its own), and
 * prints the time per kernel, or per kernel and conv shape with --by-shape, largest first. A training step is forward,
 * cross-entropy, backward and Adam (lr 3e-4), as `cnnx train` runs it; --infer is the eval-mode forward under noGrad,
 * as `cnnx predict` runs it. Random inputs: a profile, not an accuracy run. The bench's kernel table times kernels at
 * fixed shapes; this shows what a whole step runs, the passes the table has no row for included (on 2026-11-26 it
 * found 0.8 s of a 5.2 s ResNet-50 step at batch 4 in weight flips, strided input gradients, partial sums and Adam).
 */
import { parseArgs } from 'node:util';
import { profileDigits } from '../src/bench/results_file.js';
import { createRng } from '../src/data/prng.js';
import { backward } from '../src/graph/autograd.js';
import { softmaxCrossEntropy } from '../src/graph/ops/softmax_cross_entropy.js';
import { tidy } from '../src/graph/scope.js';
import { noGrad } from '../src/graph/tape.js';
import { Tensor } from '../src/graph/tensor.js';
import { modelEntry } from '../src/models/registry.js';
import { createNodePlatform, UNQUANTISED_TIMESTAMPS } from '../src/platform/node.js';
import type { KernelSpec } from '../src/kernels/kernel.js';
import { Gpu } from '../src/runtime/gpu.js';
import { Adam } from '../src/train/adam.js';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet50' },
    batch: { type: 'string', default: '4' },
    size: { type: 'string' },
    infer: { type: 'boolean', default: false },
    'by-shape': { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});
const BATCH = Number(opts.batch);
const TOP = Number(opts.top);
/** The conv geometry fields a --by-shape row names, where a dispatch's params have them. */
const SHAPE_FIELDS = ['batch', 'cin', 'h', 'w', 'cout', 'oh', 'ow', 'kh', 'kw', 'strideH'] as const;

const platform = createNodePlatform([UNQUANTISED_TIMESTAMPS]);
const gpu = await Gpu.create(platform);
// Each dispatch's label for --by-shape, in dispatch order (the profiler returns the times in the same order).
const labels: string[] = [];
const run = gpu.run.bind(gpu);
gpu.run = (spec: KernelSpec, params: Record<string, number>, bindings: Parameters<Gpu['run']>[2]) => {
  const shape = SHAPE_FIELDS.filter((k) => k in params).map((k) => `${k}=${params[k]}`).join(' ');
  labels.push(shape ? `${spec.name} ${shape}` : spec.name);
  return run(spec, params, bindings);
};

const entry = modelEntry(opts.model);
const model = entry.build({ gpu, rng: createRng(0) }, { numClasses: 4, ...(opts.size ? { inputSize: Number(opts.size) } : {}) });
const { channels, height, width } = model.input;
const rng = createRng(1);
const x = Float32Array.from({ length: BATCH * channels * height * width }, () => rng.next() - 0.5);
const labelsOfBatch = Float32Array.from({ length: BATCH }, (_, i) => i % 4);
const optimizer = opts.infer ? null : new Adam(model.namedParameters(), { lr: 3e-4 });
if (opts.infer) model.eval();
else model.train();

const step = (): void =>
  tidy(() => {
    const input = Tensor.fromData(gpu, x, [BATCH, channels, height, width], 'x');
    if (opts.infer) {
      noGrad(() => model.forward(input));
      return;
    }
    backward(softmaxCrossEntropy(model.forward(input), Tensor.fromData(gpu, labelsOfBatch, [BATCH], 'labels')));
    optimizer!.step();
    optimizer!.zeroGrad();
  });

step(); // pipelines built, buffers pooled
await gpu.sync();
labels.length = 0;
gpu.startProfiling();
step();
const times = await gpu.stopProfiling();

const rows = new Map<string, { ms: number; n: number }>();
let total = 0;
times.forEach((t, i) => {
  const key = opts['by-shape'] ? (labels[i] ?? t.name) : t.name;
  const row = rows.get(key) ?? { ms: 0, n: 0 };
  row.ms += t.ms;
  row.n += 1;
  rows.set(key, row);
  total += t.ms;
});
const digits = profileDigits(times);
console.log(`${opts.model}, ${opts.infer ? 'inference' : 'training step'}, batch ${BATCH}, ${height} x ${width}, ` +
  `${gpu.info.description}: ${total.toFixed(digits)} ms of GPU time in ${times.length} dispatches`);
console.log('| ms | share | dispatches | kernel |');
console.log('| ---: | ---: | ---: | --- |');
for (const [key, row] of [...rows].sort((a, b) => b[1].ms - a[1].ms).slice(0, TOP)) {
  console.log(`| ${row.ms.toFixed(digits)} | ${((100 * row.ms) / total).toFixed(1)}% | ${row.n} | ${key} |`);
}

optimizer?.dispose();
model.dispose();
await gpu.sync();
gpu.destroy();
platform.release();
