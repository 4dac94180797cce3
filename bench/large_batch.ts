/**
 * Smoke check of activations larger than one storage binding: one training step (forward, softmax cross-entropy,
 * backward, Adam) of a backbone at the paper's batch 15, whose first activations exceed lavapipe's 128 MiB
 * maxStorageBufferBindingSize (VGG16 at 224: 15 x 64 x 224 x 224 f32 = 192 MB; Xception at 299: 15 x 128 x 147 x
 * 147 = 166 MB), so the kernels run them in batch slices (src/kernels/batch_slices.ts).
 * `npx vite-node bench/large_batch.ts [model=vgg16] [batch=15] [classes=4] [train|eval]`; prints the wall and CPU
 * time of the step (the first, so pipeline compilation is included) and the pool's peak memory; `eval` runs only the
 * forward in evaluation mode (inference, far less memory). Not a test: it takes minutes here.
 */
import { createRng } from '../src/data/prng.js';
import { backward } from '../src/graph/autograd.js';
import { softmaxCrossEntropy } from '../src/graph/ops/softmax_cross_entropy.js';
import { keep, tidy } from '../src/graph/scope.js';
import { noGrad } from '../src/graph/tape.js';
import { Tensor } from '../src/graph/tensor.js';
import { modelEntry } from '../src/models/registry.js';
import { createNodePlatform } from '../src/platform/node.js';
import { Gpu } from '../src/runtime/gpu.js';
import { Adam } from '../src/train/adam.js';

const [name = 'vgg16', batchArg = '15', classesArg = '4', mode = 'train'] = process.argv.slice(2);
const batch = Number(batchArg);
const classes = Number(classesArg);

const gpu = await Gpu.create(createNodePlatform());
const model = modelEntry(name).build({ gpu, rng: createRng(0) }, { numClasses: classes });
const { channels, height, width } = model.input;
const shape = [batch, channels, height, width];
const rng = createRng(1);
const x = Float32Array.from({ length: batch * channels * height * width }, () => rng.next() * 2 - 1);
const labels = Float32Array.from({ length: batch }, (_, i) => i % classes);
const optimizer = new Adam(model.namedParameters(), { lr: 1e-4 });
const lossOut = keep(Tensor.zeros(gpu, [1], 'loss'));
const limit = gpu.limits.maxStorageBufferBindingSize;
console.log(`${name} ${mode}: x [${shape.join(', ')}], ${classes} classes; ${gpu.info.description || gpu.info.device}, ` +
  `maxStorageBufferBindingSize ${limit} bytes`);

const wall0 = performance.now();
const cpu0 = process.cpuUsage();
if (mode === 'eval') {
  model.eval();
  noGrad(() =>
    tidy(() => {
      const logits = model.forward(Tensor.fromData(gpu, x, shape, 'x'));
      gpu.copy(softmaxCrossEntropy(logits, Tensor.fromData(gpu, labels, [batch], 'labels')).buffer, 0, lossOut.buffer, 0, 4);
    }),
  );
} else {
  model.train();
  tidy(() => {
    const logits = model.forward(Tensor.fromData(gpu, x, shape, 'x'));
    const loss = softmaxCrossEntropy(logits, Tensor.fromData(gpu, labels, [batch], 'labels'));
    backward(loss);
    optimizer.step();
    optimizer.zeroGrad();
    gpu.copy(loss.buffer, 0, lossOut.buffer, 0, 4);
  });
}
await gpu.sync();
const wallS = (performance.now() - wall0) / 1000;
const cpu = process.cpuUsage(cpu0);
const loss = (await lossOut.read())[0]!;
const peak = gpu.poolStats().peakInUseBytes;
console.log(`one step: ${wallS.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU, loss ${loss.toFixed(4)}, ` +
  `pool peak ${(peak / 2 ** 30).toFixed(2)} GiB`);
if (!Number.isFinite(loss)) throw new Error(`the loss is ${loss}`);
lossOut.dispose();
optimizer.dispose();
model.dispose();
await gpu.sync();
gpu.destroy();
