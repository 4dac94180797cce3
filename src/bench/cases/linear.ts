/**
 * linear at CNN-X's fc layer: x [N, 360,000], w [4, 360,000], y [N, 4]. Variant 'auto' is what linear itself runs
 * (the matmul variant it picks, slicing included); the others force one matmul variant on the same product (as
 * bench/linear.ts does), where it applies. Checked against float64 sums on the host at sampled outputs.
 *
 * FLOPs of each pass = 2 * N * K * M; bytes (each operand once): forward = 4 * (N*K + M*K + N*M),
 * dx = 4 * (N*M + M*K + N*K), dw = 4 * (N*M + N*K + M*K); backward_bias: read dy, write db = 4 * (N*M + M).
 * Peers: tf.fused.matMul (bias fused) forward, tf.matMul(dy, w) for dx, tf.matMul(dy, x, true) for dw, tf.sum for db.
 */
import { runLinearBackwardBias, runLinearBackwardInput, runLinearBackwardWeight, runLinearForward, type LinearDims } from '../../kernels/linear.js';
import { MATMUL_VARIANTS, runMatmul, type MatmulVariant } from '../../kernels/matmul.js';
import type { Conv2dDevice } from '../../kernels/conv2d.js';
import type { Gpu } from '../../runtime/gpu.js';
import type { KernelCase, PeerCase } from '../case.js';
import { dims } from '../case.js';
import { hostData, outputs, rotated, rotationSets, sampleIndices, sampledError, type Expected } from '../data.js';
import { peerSets, type Tf, type TfTensor } from '../peer_tfjs.js';
import { CNNX_FC } from '../shapes.js';

export function linearCases(batch: number, device: Conv2dDevice): KernelCase[] {
  const d: LinearDims = { n: batch, k: CNNX_FC.k, m: CNNX_FC.m };
  const { n, k, m } = d;
  const flops = 2 * n * k * m;
  const bytes = 4 * (n * k + m * k + n * m);
  const sets = rotationSets(bytes + 4 * n * k);
  const base = { op: 'linear', label: 'cnnx_fc', shape: `x ${dims([n, k])}, w ${dims([m, k])}`, flops, bytes };
  const inputs = (gpu: Gpu) => {
    const x = rotated(gpu, n * k, 101, sets, 'bench:linear:x');
    const w = rotated(gpu, m * k, 102, sets, 'bench:linear:w', -0.01, 0.01);
    const dy = rotated(gpu, n * m, 103, sets, 'bench:linear:dy');
    return { x, w, dy, free: () => [...x.buffers, ...w.buffers, ...dy.buffers].forEach((b) => gpu.free(b)) };
  };
  /** C[r, s] = sum over depth of A(r, t) B(t, s), in float64. */
  const product = (cols: number, depth: number, a: (r: number, t: number) => number, b: (t: number, s: number) => number) =>
    (i: number): Expected => {
      const r = Math.floor(i / cols);
      const s = i % cols;
      let value = 0;
      let magnitude = 0;
      for (let t = 0; t < depth; t++) {
        const term = a(r, t) * b(t, s);
        value += term;
        magnitude += Math.abs(term);
      }
      return { value, magnitude, terms: depth };
    };
  /**
   * The matmul variants that can run this product (naive only where it finishes in seconds; splitk for long K; outer
   * for dx and dw of a 4-output layer at a batch of at most 16, on a device with subgroups).
   */
  const outerFits = device.hasSubgroups && m === 4 && n <= 16;
  const forced = (depth: number, vec4: boolean, outer = false): MatmulVariant[] =>
    MATMUL_VARIANTS.filter((v) => (v !== 'columns_vec4' || vec4) && (v !== 'splitk' || depth >= 1024) &&
      (v !== 'outer' || (outer && vec4)));
  type Io = ReturnType<typeof inputs>;
  const pass = (name: string, rows: number, cols: number, depth: number, vec4: boolean, outer: boolean,
    auto: (gpu: Gpu, io: Io, i: number, out: GPUBuffer) => void,
    matmul: (gpu: Gpu, io: Io, i: number, out: GPUBuffer, variant: MatmulVariant) => void,
    reference: (io: Io) => (i: number) => Expected, peer: PeerCase): KernelCase => ({
    ...base, pass: name, variants: ['auto', ...forced(depth, vec4, outer)],
    async prepare(gpu) {
      const io = inputs(gpu);
      const out = outputs(gpu, 4 * rows * cols, sets, `bench:linear:${name}`);
      const samples = sampleIndices(rows * cols);
      const run = (v: string, i: number) => (v === 'auto' ? auto(gpu, io, i, out.at(i)) : matmul(gpu, io, i, out.at(i), v as MatmulVariant));
      return {
        run,
        async check(v) {
          run(v, 0);
          return sampledError(await gpu.read(out.at(0), 4 * rows * cols), samples, reference(io));
        },
        dispose: () => { io.free(); out.buffers.forEach((b) => gpu.free(b)); },
      };
    },
    peer,
  });
  return [
    pass('forward', n, m, k, false, false,
      (gpu, io, i, out) => runLinearForward(gpu, io.x.at(i), io.w.at(i), null, out, d),
      (gpu, io, i, out, variant) => runMatmul(gpu, { binding: io.x.at(i), ld: k }, { binding: io.w.at(i), ld: k, trans: true },
        { binding: out, ld: m }, { rows: n, cols: m, depth: k }, { variant }),
      (io) => product(m, k, (r, t) => io.x.host[r * k + t]!, (t, s) => io.w.host[s * k + t]!),
      peer('tf.matMul(x, w, false, true)', d, sets, (tf, x, w) => tf.matMul(x, w, false, true))),
    pass('backward_input', n, k, m, k % 4 === 0, outerFits,
      (gpu, io, i, out) => runLinearBackwardInput(gpu, io.dy.at(i), io.w.at(i), out, d),
      (gpu, io, i, out, variant) => runMatmul(gpu, { binding: io.dy.at(i), ld: m }, { binding: io.w.at(i), ld: k },
        { binding: out, ld: k }, { rows: n, cols: k, depth: m }, { variant }),
      (io) => product(k, m, (r, t) => io.dy.host[r * m + t]!, (t, s) => io.w.host[t * k + s]!),
      peer('tf.matMul(dy, w)', d, sets, (tf, _x, w, dy) => tf.matMul(dy, w))),
    pass('backward_weight', m, k, n, k % 4 === 0, outerFits,
      (gpu, io, i, out) => runLinearBackwardWeight(gpu, io.dy.at(i), io.x.at(i), out, d),
      (gpu, io, i, out, variant) => runMatmul(gpu, { binding: io.dy.at(i), ld: m, trans: true }, { binding: io.x.at(i), ld: k },
        { binding: out, ld: k }, { rows: m, cols: k, depth: n }, { variant }),
      (io) => product(k, n, (r, t) => io.dy.host[t * m + r]!, (t, s) => io.x.host[t * k + s]!),
      peer('tf.matMul(dy, x, true, false)', d, sets, (tf, x, _w, dy) => tf.matMul(dy, x, true, false))),
    {
      ...base, pass: 'backward_bias', flops: n * m, bytes: 4 * (n * m + m), variants: ['direct'],
      async prepare(gpu) {
        const dy = rotated(gpu, n * m, 103, sets, 'bench:linear:dy');
        const db = gpu.alloc(4 * m, 'bench:linear:db');
        return {
          run: (_v, i) => runLinearBackwardBias(gpu, dy.at(i), db, d),
          async check() {
            runLinearBackwardBias(gpu, dy.at(0), db, d);
            return sampledError(await gpu.read(db, 4 * m), [...Array(m).keys()],
              product(m, n, () => 1, (t, s) => dy.host[t * m + s]!));
          },
          dispose: () => [...dy.buffers, db].forEach((b) => gpu.free(b)),
        };
      },
      peer: peer('tf.sum(dy, 0)', d, sets, (tf, _x, _w, dy) => tf.sum(dy, 0)),
    },
  ];
}

function peer(name: string, d: LinearDims, sets: number, op: (tf: Tf, x: TfTensor, w: TfTensor, dy: TfTensor) => TfTensor): PeerCase {
  return {
    name,
    prepare(tf) {
      const xs = peerSets(tf, tf.tensor2d(hostData(d.n * d.k, 101), [d.n, d.k]), sets);
      const ws = peerSets(tf, tf.tensor2d(hostData(d.m * d.k, 102, -0.01, 0.01), [d.m, d.k]), sets);
      const dys = peerSets(tf, tf.tensor2d(hostData(d.n * d.m, 103), [d.n, d.m]), sets);
      return {
        run: (i) => op(tf, xs[i % sets]!, ws[i % sets]!, dys[i % sets]!),
        dispose: () => [...xs, ...ws, ...dys].forEach((t) => t.dispose()),
      };
    },
  };
}
