/**
 * adam.step over CNN-X's 1,443,332 parameters as one buffer (99.8% of them are the fc weight; the real optimizer
 * runs one dispatch per parameter tensor, and the fc's dominates). Per element: read w, dw, m, v and write w, m, v:
 * bytes = 28 * P; FLOPs ~ 12 * P. The state is updated in place, so each rotation set is a whole (w, dw, m, v).
 * Checked at sampled elements against torch.optim.Adam's formula for step 1 in float64.
 * Peer: tf.train.adam(lr).applyGradients on a tf.variable of the same size.
 */
import { runAdamStep, type AdamHyper } from '../../kernels/adam.js';
import type { KernelCase } from '../case.js';
import { hostData, rotated, rotationSets, sampleIndices, sampledError } from '../data.js';
import { peerSets } from '../peer_tfjs.js';
import { CNNX_PARAMETERS } from '../shapes.js';

const HYPER: AdamHyper = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export function adamCases(): KernelCase[] {
  const p = CNNX_PARAMETERS;
  const sets = rotationSets(16 * p);
  return [
    {
      op: 'adam', pass: 'step', label: 'cnnx_params', shape: `${p.toLocaleString('en-US')} parameters`, flops: 12 * p,
      bytes: 28 * p, variants: ['fused'],
      async prepare(gpu) {
        const w = rotated(gpu, p, 111, sets, 'bench:adam:w');
        const dw = rotated(gpu, p, 112, sets, 'bench:adam:dw', -0.1, 0.1);
        const m = rotated(gpu, p, 113, sets, 'bench:adam:m', -0.01, 0.01);
        const v = rotated(gpu, p, 114, sets, 'bench:adam:v', 0, 1e-4);
        const samples = sampleIndices(p);
        const step = (i: number, t: number) =>
          runAdamStep(gpu, { buffers: { w: w.at(i), dw: dw.at(i), m: m.at(i), v: v.at(i) }, n: p, t }, HYPER);
        return {
          // Step 2 onwards: the bias corrections differ a little per step, which does not change the work.
          run: (_v, i) => step(i, 2),
          async check() {
            step(0, 1);
            const { lr, beta1, beta2, eps } = HYPER;
            return sampledError(await gpu.read(w.at(0), 4 * p), samples, (i) => {
              const g = dw.host[i]!;
              const mi = beta1 * m.host[i]! + (1 - beta1) * g;
              const vi = beta2 * v.host[i]! + (1 - beta2) * g * g;
              const update = (lr / (1 - beta1)) * (mi / (Math.sqrt(vi) / Math.sqrt(1 - beta2) + eps));
              return { value: w.host[i]! - update, magnitude: Math.abs(w.host[i]!) + 10 * Math.abs(update), terms: 4 };
            });
          },
          dispose: () => [...w.buffers, ...dw.buffers, ...m.buffers, ...v.buffers].forEach((b) => gpu.free(b)),
        };
      },
      peer: {
        name: 'tf.train.adam().applyGradients',
        prepare(tf) {
          const optimizer = tf.train.adam(HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps);
          const w0 = tf.tensor1d(hostData(p, 111));
          const vars = peerSets(tf, w0, sets).map((w, s) => tf.variable(w, true, `bench_adam_w${s}_${Date.now()}`));
          const grads = peerSets(tf, tf.tensor1d(hostData(p, 112, -0.1, 0.1)), sets);
          return {
            run: (i) => optimizer.applyGradients([{ name: vars[i % sets]!.name, tensor: grads[i % sets]! }]),
            dispose: () => {
              optimizer.dispose();
              [...vars, ...grads].forEach((t) => t.dispose());
            },
          };
        },
      },
    },
  ];
}
