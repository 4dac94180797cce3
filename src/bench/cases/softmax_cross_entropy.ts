/**
 * softmax_cross_entropy at CNN-X's head: logits [N, 4] and labels [N]. Tiny: its time is the dispatch's fixed cost.
 * forward (stable log-sum-exp, probs saved, mean loss by a one-workgroup tree): bytes = 4 * (2*N*4 + N + 1);
 * backward (dx = (probs - onehot) * dy / N): bytes = 4 * (2*N*4 + N + 1). FLOPs ~ 4 * N * 4 each.
 * Peer: tf.losses.softmaxCrossEntropy(onehot, logits) (forward only: its gradient is the same elementwise formula).
 */
import { runSoftmaxCrossEntropyBackward, runSoftmaxCrossEntropyForward } from '../../kernels/softmax_cross_entropy.js';
import type { KernelCase } from '../case.js';
import { dims } from '../case.js';
import { hostData, makeSets, rotated, rotationSets, sampledError, upload } from '../data.js';
import { onGpu, peerSets } from '../peer_tfjs.js';
import { CNNX_FC } from '../shapes.js';

export function softmaxCrossEntropyCases(batch: number): KernelCase[] {
  const n = batch;
  const c = CNNX_FC.m;
  const sets = rotationSets(4 * n * c);
  const labelsHost = Float32Array.from({ length: n }, (_, i) => i % c);
  const base = { op: 'softmax_cross_entropy', label: 'cnnx_head', shape: `logits ${dims([n, c])}`, flops: 4 * n * c, bytes: 4 * (2 * n * c + n + 1), variants: ['fused'] };
  /** Row i's softmax and loss in float64. */
  const reference = (x: Float32Array, i: number) => {
    const row = Array.from(x.subarray(i * c, (i + 1) * c));
    const max = Math.max(...row);
    const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
    return { probs: row.map((v) => Math.exp(v - max) / sum), loss: Math.log(sum) + max - row[labelsHost[i]!]! };
  };
  return [
    {
      ...base, pass: 'forward',
      async prepare(gpu) {
        const x = rotated(gpu, n * c, 121, sets, 'bench:sce:x', -3, 3);
        const labels = upload(gpu, labelsHost, 'bench:sce:labels');
        const probs = gpu.alloc(4 * n * c, 'bench:sce:probs');
        const loss = gpu.alloc(16, 'bench:sce:loss');
        return {
          run: (_v, i) => runSoftmaxCrossEntropyForward(gpu, x.at(i), labels, probs, loss, n, c),
          async check() {
            runSoftmaxCrossEntropyForward(gpu, x.at(0), labels, probs, loss, n, c);
            let mean = 0;
            for (let i = 0; i < n; i++) mean += reference(x.host, i).loss / n;
            const lossError = sampledError(await gpu.read(loss, 4), [0], () => ({ value: mean, magnitude: Math.abs(mean) + 1, terms: n * c }));
            const got = await gpu.read(probs, 4 * n * c);
            const probsError = sampledError(got, [...Array(n * c).keys()], (j) => ({ value: reference(x.host, Math.floor(j / c)).probs[j % c]!, magnitude: 1, terms: c }));
            return Math.max(lossError, probsError);
          },
          dispose: () => [...x.buffers, labels, probs, loss].forEach((b) => gpu.free(b)),
        };
      },
      peer: {
        name: 'tf.losses.softmaxCrossEntropy',
        prepare(tf) {
          const xs = peerSets(tf, tf.tensor2d(hostData(n * c, 121, -3, 3), [n, c]), sets);
          const onehot = onGpu(tf, tf.cast(tf.oneHot(tf.tensor1d(Array.from(labelsHost), 'int32'), c), 'float32'));
          return { run: (i) => tf.losses.softmaxCrossEntropy(onehot, xs[i % sets]!), dispose: () => [...xs, onehot].forEach((t) => t.dispose()) };
        },
      },
    },
    {
      ...base, pass: 'backward',
      async prepare(gpu) {
        const x = hostData(n * c, 121, -3, 3);
        const probsHost = new Float32Array(n * c);
        for (let i = 0; i < n; i++) reference(x, i).probs.forEach((p, j) => (probsHost[i * c + j] = p));
        const probs = makeSets(sets, () => upload(gpu, probsHost, 'bench:sce:probs'));
        const labels = upload(gpu, labelsHost, 'bench:sce:labels');
        const dy = upload(gpu, Float32Array.of(1), 'bench:sce:dy');
        const dx = gpu.alloc(4 * n * c, 'bench:sce:dx');
        return {
          run: (_v, i) => runSoftmaxCrossEntropyBackward(gpu, probs[i % sets]!, labels, dy, dx, n, c),
          async check() {
            runSoftmaxCrossEntropyBackward(gpu, probs[0]!, labels, dy, dx, n, c);
            return sampledError(await gpu.read(dx, 4 * n * c), [...Array(n * c).keys()], (j) => {
              const value = (probsHost[j]! - (j % c === labelsHost[Math.floor(j / c)] ? 1 : 0)) / n;
              return { value, magnitude: 1 / n, terms: 1 };
            });
          },
          dispose: () => [...probs, labels, dy, dx].forEach((b) => gpu.free(b)),
        };
      },
      peer: { none: "tfjs has no separate softmax cross-entropy gradient kernel (autograd composes sub, mul and div)" },
    },
  ];
}
