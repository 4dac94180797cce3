/**
 * batchnorm2d in training mode at CNN-X's [N, 16, 224, 224] and ResNet-50's [N, 64, 56, 56], each variant
 * (BATCHNORM2D_VARIANTS), checked against float64 statistics on the host at sampled outputs.
 *
 * E = N*C*H*W elements (4 bytes each; per-channel rows and partials are under 0.1% and not counted):
 *   forward  (stats_partial, stats_finalize with the running update, normalize): read x twice, write y = 12E bytes, ~5E FLOPs
 *   backward (backward_reduce, backward_finalize, backward_input): read x, dy twice, write dx = 20E bytes, ~8E FLOPs
 *   forward_backward: the op and its gradient rule as training runs them (x, weight and bias gradients) = 32E bytes
 * tfjs has no training batch-norm kernel: its peer forward is tf.moments + tf.batchNorm, and its backward is autograd
 * over those, so it is timed with its forward (tf.grads) against cnnx's forward_backward.
 */
import { batchnorm2d, batchnorm2dBackward, type Batchnorm2dSaved } from '../../graph/ops/batchnorm2d.js';
import { keep, tidy } from '../../graph/scope.js';
import { Tensor } from '../../graph/tensor.js';
import {
  BATCHNORM2D_VARIANTS,
  COEF_ROWS,
  STATS_ROWS,
  runBatchnorm2dBackwardInput,
  runBatchnorm2dBackwardSums,
  runBatchnorm2dBatchStats,
  runBatchnorm2dNormalize,
  type Batchnorm2dVariant,
} from '../../kernels/batchnorm2d.js';
import type { Gpu } from '../../runtime/gpu.js';
import type { KernelCase, PeerCase } from '../case.js';
import { dims } from '../case.js';
import { hostData, makeSets, outputs, rotated, rotationSets, sampleIndices, sampledError } from '../data.js';
import { nhwc, onGpu, peerSets, type Tf, type Tf4, type TfTensor } from '../peer_tfjs.js';
import { cnnxActivation, resnetActivation, type Nchw } from '../shapes.js';

const EPS = 1e-5;
const MOMENTUM = 0.1;

export function batchnorm2dCases(batch: number): KernelCase[] {
  return [
    ...casesOf('cnnx', cnnxActivation(batch)),
    ...casesOf('resnet50_56', resnetActivation(batch)),
  ];
}

/** Per-channel float64 statistics of x and the backward sums of dy (what the reference needs). */
function hostStats(x: Float32Array, dy: Float32Array, [n, c, h, w]: Nchw) {
  const hw = h * w;
  const m = n * hw;
  const mean = new Float64Array(c);
  const invstd = new Float64Array(c);
  const sdy = new Float64Array(c);
  const sdyxhat = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let s = 0, o = (i * c + k) * hw; s < hw; s++) sum += x[o + s]!;
    mean[k] = sum / m;
    let m2 = 0;
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      for (let s = 0, o = (i * c + k) * hw; s < hw; s++) {
        const d = x[o + s]! - mean[k]!;
        m2 += d * d;
        a += dy[o + s]!;
        b += dy[o + s]! * d;
      }
    }
    invstd[k] = 1 / Math.sqrt(m2 / m + EPS);
    sdy[k] = a;
    sdyxhat[k] = b * invstd[k]!;
  }
  return { mean, invstd, sdy, sdyxhat, m, hw, c };
}

function casesOf(label: string, shape: Nchw): KernelCase[] {
  const [n, c, h, w] = shape;
  const e = n * c * h * w;
  const sets = rotationSets(12 * e);
  const base = { op: 'batchnorm2d', label, shape: `x ${dims(shape)}` };
  const bnShape = { n, c, hw: h * w };

  /** x with a per-channel mean and spread (as conv outputs have), dy, weight and bias; stats from the host. */
  const inputs = (gpu: Gpu) => {
    const x = rotated(gpu, e, 11, sets, 'bench:bn:x', -2, 3);
    const dy = rotated(gpu, e, 12, sets, 'bench:bn:dy');
    const wh = hostData(c, 13, 0.5, 1.5);
    const bh = hostData(c, 14, -0.5, 0.5);
    const weight = gpu.alloc(4 * c, 'bench:bn:w');
    const bias = gpu.alloc(4 * c, 'bench:bn:b');
    gpu.upload(weight, wh);
    gpu.upload(bias, bh);
    const rm = gpu.alloc(4 * c, 'bench:bn:rm');
    const rv = gpu.alloc(4 * c, 'bench:bn:rv');
    const ref = hostStats(x.host, dy.host, shape);
    const buffers = [...x.buffers, ...dy.buffers, weight, bias, rm, rv];
    return { x, dy, wh, bh, weight, bias, rm, rv, ref, free: () => buffers.forEach((b) => gpu.free(b)) };
  };
  const channel = (i: number) => Math.floor(i / (h * w)) % c;

  const forward: KernelCase = {
    ...base, pass: 'forward', flops: 5 * e, bytes: 12 * e, variants: BATCHNORM2D_VARIANTS,
    async prepare(gpu) {
      const io = inputs(gpu);
      const stats = gpu.alloc(4 * STATS_ROWS * c, 'bench:bn:stats');
      const y = outputs(gpu, 4 * e, sets, 'bench:bn:y');
      const samples = sampleIndices(e);
      const run = (v: string, i: number) => {
        const variant = v as Batchnorm2dVariant;
        runBatchnorm2dBatchStats(gpu, io.x.at(i), io.weight, io.bias, stats, bnShape, EPS, variant, { rm: io.rm, rv: io.rv, momentum: MOMENTUM });
        runBatchnorm2dNormalize(gpu, io.x.at(i), stats, y.at(i), bnShape, variant);
      };
      return {
        run,
        async check(v) {
          run(v, 0);
          const { mean, invstd } = io.ref;
          return sampledError(await gpu.read(y.at(0), 4 * e), samples, (i) => {
            const k = channel(i);
            const value = (io.x.host[i]! - mean[k]!) * invstd[k]! * io.wh[k]! + io.bh[k]!;
            return { value, magnitude: Math.abs(value) + 1, terms: 1 };
          });
        },
        dispose: () => { io.free(); [stats, ...y.buffers].forEach((b) => gpu.free(b)); },
      };
    },
    peer: peer('tf.moments + tf.batchNorm', shape, sets, false),
  };

  const backward: KernelCase = {
    ...base, pass: 'backward', flops: 8 * e, bytes: 20 * e, variants: BATCHNORM2D_VARIANTS,
    async prepare(gpu) {
      const io = inputs(gpu);
      const stats = gpu.alloc(4 * STATS_ROWS * c, 'bench:bn:stats');
      const coef = gpu.alloc(4 * COEF_ROWS * c, 'bench:bn:coef');
      const dw = gpu.alloc(4 * c, 'bench:bn:dw');
      const db = gpu.alloc(4 * c, 'bench:bn:db');
      const dx = outputs(gpu, 4 * e, sets, 'bench:bn:dx');
      // The saved statistics of every set (the forward is not part of this pass).
      const statsOf = makeSets(sets, (s) => {
        const buffer = gpu.alloc(4 * STATS_ROWS * c, `bench:bn:stats[${s}]`);
        runBatchnorm2dBatchStats(gpu, io.x.at(s), io.weight, io.bias, buffer, bnShape, EPS);
        return buffer;
      });
      const samples = sampleIndices(e);
      const run = (v: string, i: number) => {
        const variant = v as Batchnorm2dVariant;
        runBatchnorm2dBackwardSums(gpu, io.x.at(i), io.dy.at(i), statsOf[i % sets]!, coef, dw, db, bnShape,
          { training: true, reduce: true }, variant);
        runBatchnorm2dBackwardInput(gpu, io.x.at(i), io.dy.at(i), coef, dx.at(i), bnShape, variant);
      };
      return {
        run,
        async check(v) {
          run(v, 0);
          const { mean, invstd, sdy, sdyxhat, m } = io.ref;
          const dxError = sampledError(await gpu.read(dx.at(0), 4 * e), samples, (i) => {
            const k = channel(i);
            const xhat = (io.x.host[i]! - mean[k]!) * invstd[k]!;
            const scale = (io.wh[k]! * invstd[k]!) / m;
            const value = scale * (m * io.dy.host[i]! - sdy[k]! - xhat * sdyxhat[k]!);
            return { value, magnitude: Math.abs(scale) * (m * Math.abs(io.dy.host[i]!) + Math.abs(sdy[k]!) + Math.abs(xhat * sdyxhat[k]!)), terms: m };
          });
          const channels = [...Array(c).keys()];
          const dwError = sampledError(await gpu.read(dw, 4 * c), channels, (k) => ({ value: sdyxhat[k]!, magnitude: m, terms: m }));
          const dbError = sampledError(await gpu.read(db, 4 * c), channels, (k) => ({ value: sdy[k]!, magnitude: m, terms: m }));
          return Math.max(dxError, dwError, dbError);
        },
        dispose: () => { io.free(); [stats, coef, dw, db, ...dx.buffers, ...statsOf].forEach((b) => gpu.free(b)); },
      };
    },
    peer: { none: 'tfjs has no batch-norm backward kernel (autograd over moments and batchNorm): see forward_backward' },
  };

  const forwardBackward: KernelCase = {
    ...base, pass: 'forward_backward', flops: 13 * e, bytes: 32 * e, variants: ['op'],
    async prepare(gpu) {
      const io = inputs(gpu);
      const xs = makeSets(sets, (s) => keep(tensorOf(gpu, io.x.at(s), shape)));
      const dys = makeSets(sets, (s) => keep(tensorOf(gpu, io.dy.at(s), shape)));
      const weight = keep(Tensor.fromData(gpu, io.wh, [c], 'bench:bn:weight'));
      const bias = keep(Tensor.fromData(gpu, io.bh, [c], 'bench:bn:bias'));
      const runningMean = keep(Tensor.zeros(gpu, [c], 'bench:bn:running_mean'));
      const runningVar = keep(Tensor.full(gpu, [c], 1, 'bench:bn:running_var'));
      [...xs, weight, bias].forEach((t) => (t.requiresGrad = true));
      const state = { weight, bias, runningMean, runningVar };
      const step = (i: number): Tensor[] =>
        tidy(() => {
          const y = batchnorm2d(xs[i % sets]!, state, { training: true, momentum: MOMENTUM, eps: EPS });
          const grads = batchnorm2dBackward(y.creator!.saved as Batchnorm2dSaved, dys[i % sets]!, [true, true, true]);
          return [y, ...(grads as Tensor[])];
        });
      const samples = sampleIndices(e);
      return {
        run: (_v, i) => step(i).forEach((t) => t.dispose()),
        async check() {
          const [y, dx] = step(0);
          const { mean, invstd, sdy, sdyxhat, m } = io.ref;
          const yError = sampledError(await y!.read(), samples, (i) => {
            const k = channel(i);
            const value = (io.x.host[i]! - mean[k]!) * invstd[k]! * io.wh[k]! + io.bh[k]!;
            return { value, magnitude: Math.abs(value) + 1, terms: 1 };
          });
          const dxError = sampledError(await dx!.read(), samples, (i) => {
            const k = channel(i);
            const xhat = (io.x.host[i]! - mean[k]!) * invstd[k]!;
            const scale = (io.wh[k]! * invstd[k]!) / m;
            return { value: scale * (m * io.dy.host[i]! - sdy[k]! - xhat * sdyxhat[k]!), magnitude: Math.abs(scale) * m * 4, terms: m };
          });
          return Math.max(yError, dxError);
        },
        dispose: () => {
          [...xs, ...dys].forEach((t) => t.dispose());
          [weight, bias, runningMean, runningVar].forEach((t) => t.dispose());
          io.free();
        },
      };
    },
    peer: peer('tf.grads(moments + batchNorm) for x, scale, offset (forward included)', shape, sets, true),
  };
  return [forward, backward, forwardBackward];
}

/** A Tensor view of a bench buffer that the tensor does not own (the bench frees the buffer). */
function tensorOf(gpu: Gpu, buffer: GPUBuffer, shape: Nchw): Tensor {
  const t = Tensor.empty(gpu, shape, 'bench:bn:tensor');
  gpu.copy(buffer, 0, t.buffer, 0, shape.reduce((a, b) => a * b, 1) * 4);
  return t;
}

function peer(name: string, shape: Nchw, sets: number, withGrads: boolean): PeerCase {
  const [n, c, h, w] = shape;
  const e = n * c * h * w;
  return {
    name,
    prepare(tf: Tf) {
      const xs = peerSets(tf, nhwc(tf, hostData(e, 11, -2, 3), shape), sets);
      const dys = peerSets(tf, nhwc(tf, hostData(e, 12), shape), sets);
      const scale = onGpu(tf, tf.tensor1d(hostData(c, 13, 0.5, 1.5)));
      const offset = onGpu(tf, tf.tensor1d(hostData(c, 14, -0.5, 0.5)));
      const f = (x: Tf4, g: TfTensor, b: TfTensor) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, b as Tf4, g as Tf4, EPS);
      };
      const grads = tf.grads((x, g, b) => f(x as Tf4, g, b));
      return {
        run: (i) => (withGrads
          ? grads([xs[i % sets]!, scale, offset], dys[i % sets]!)
          : f(xs[i % sets] as Tf4, scale, offset)),
        dispose: () => [...xs, ...dys, scale, offset].forEach((t) => t.dispose()),
      };
    },
  };
}
