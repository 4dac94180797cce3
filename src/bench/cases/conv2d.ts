/**
 * conv2d at CNN-X's, ResNet-50's and Xception's shapes, every pass and every variant the kernel file lists
 * (CONV2D_VARIANTS) that handles the geometry on this device (conv2dVariantApplies), each checked at sampled outputs against a float64 host sum before it is timed.
 * Each pass runs through the op's sliced launchers (src/graph/ops/conv2d.ts): one plain launch when the tensors fit
 * one storage binding, else batch slices as the model runs them (Xception's 147x147 maps at batch 15 are 166 MB).
 *
 * With x [N, Cin, H, W], w [Cout, Cin/g, KH, KW], y [N, Cout, OH, OW] ("same" padding, g groups, stride s: OH = H / s):
 *   FLOPs of forward, backward_input and backward_weight = 2 * N * Cout * OH * OW * (Cin/g) * KH * KW
 *   bytes: forward = 4 * (|x| + |w| + |y|); backward_input = 4 * (|dy| + |w| + |dx|);
 *          backward_weight = 4 * (|x| + |dy| + |dw|); backward_bias = 4 * (|dy| + Cout), FLOPs = |dy|.
 * The peer is tfjs in NHWC: tf.fused.conv2d (bias fused, as cnnx's forward) or tf.depthwiseConv2d, and the
 * Conv2DBackpropInput/Filter (DepthwiseConv2dNative...) kernels its gradients run; the bias gradient is tf.sum.
 */
import {
  conv2dGeometry,
  runConv2dBackwardBiasSliced,
  runConv2dBackwardInputSliced,
  runConv2dBackwardWeightSliced,
  runConv2dForwardSliced,
} from '../../graph/ops/conv2d.js';
import {
  CONV2D_VARIANTS,
  conv2dVariantApplies,
  type Conv2dDevice,
  type Conv2dGeometry,
  type Conv2dPass,
  type Conv2dVariant,
} from '../../kernels/conv2d.js';
import type { KernelCase, PeerCase } from '../case.js';
import { dims } from '../case.js';
import { hostData, outputs, rotated, rotationSets, sampleIndices, sampledError, type Expected } from '../data.js';
import { hwio, nhwc, onGpu, peerSets, type Tf, type Tf4, type TfTensor } from '../peer_tfjs.js';
import { convShapes, type ConvShape, type Nchw } from '../shapes.js';

/** Backward samples sum over N*OH*OW terms each: fewer of them keep the host check short. */
const WEIGHT_SAMPLES = 48;

export function conv2dCases(batch: number, device: Conv2dDevice): KernelCase[] {
  return convShapes(batch).flatMap((s) => casesOf(s, device));
}

function casesOf(s: ConvShape, device: Conv2dDevice): KernelCase[] {
  const g = conv2dGeometry(s.x, s.w, s.bias ? [s.w[0]] : null, { padding: s.pad, stride: s.stride, groups: s.groups });
  const yShape: Nchw = [g.batch, g.cout, g.oh, g.ow];
  const sizes = { x: s.x.reduce((a, b) => a * b, 1), w: s.w.reduce((a, b) => a * b, 1), y: yShape.reduce((a, b) => a * b, 1) };
  const flops = 2 * g.batch * g.cout * g.oh * g.ow * (g.cin / g.groups) * g.kh * g.kw;
  const words = `x ${dims(s.x)}, w ${dims(s.w)}, pad ${s.pad}${s.stride > 1 ? `, stride ${s.stride}` : ''}` +
    `${s.groups > 1 ? `, groups ${s.groups}` : ''}`;
  // Every pass's inputs and outputs together are at most x and dy in, the larger of x and y out.
  const sets = rotationSets(4 * (sizes.x + sizes.y + Math.max(sizes.x, sizes.y) + sizes.w));
  const depthwise = s.groups > 1 && s.groups === g.cin && g.cout === g.cin;
  const base = { op: 'conv2d', label: s.label, shape: words };
  const variants = (pass: Conv2dPass) => CONV2D_VARIANTS[pass].filter((v) => conv2dVariantApplies(pass, v, g, device));

  /** Inputs for every pass: x, w, b, dy (rotated), and one output buffer per pass. */
  const inputs = (gpu: Parameters<KernelCase['prepare']>[0]) => {
    const x = rotated(gpu, sizes.x, 1, sets, 'bench:conv2d:x');
    const w = rotated(gpu, sizes.w, 2, sets, 'bench:conv2d:w', -0.5, 0.5);
    const b = rotated(gpu, g.cout, 3, sets, 'bench:conv2d:b');
    const dy = rotated(gpu, sizes.y, 4, sets, 'bench:conv2d:dy');
    return { x, w, b, dy, free: () => [...x.buffers, ...w.buffers, ...b.buffers, ...dy.buffers].forEach((buf) => gpu.free(buf)) };
  };

  const forward: KernelCase = {
    ...base, pass: 'forward', flops, bytes: 4 * (sizes.x + sizes.w + sizes.y), variants: variants('forward'),
    async prepare(gpu) {
      const io = inputs(gpu);
      const y = outputs(gpu, 4 * sizes.y, sets, 'bench:conv2d:y');
      const samples = sampleIndices(sizes.y);
      const bias = (i: number) => (s.bias ? io.b.at(i) : null);
      return {
        run: (v, i) => runConv2dForwardSliced(gpu, io.x.at(i), io.w.at(i), bias(i), y.at(i), g, v as Conv2dVariant),
        async check(v) {
          runConv2dForwardSliced(gpu, io.x.at(0), io.w.at(0), bias(0), y.at(0), g, v as Conv2dVariant);
          return sampledError(await gpu.read(y.at(0), 4 * sizes.y), samples, (i) => forwardAt(g, io.x.host, io.w.host, s.bias ? io.b.host : null, i));
        },
        dispose: () => { io.free(); y.buffers.forEach((b) => gpu.free(b)); },
      };
    },
    peer: depthwise
      ? peer('tf.depthwiseConv2d', (tf, x, w) => tf.depthwiseConv2d(x, w, s.stride, 'same'), s, g, sets, 'x')
      : peer('tf.fused.conv2d (bias fused)', (tf, x, w, b) => tf.fused.conv2d({ x, filter: w, strides: s.stride, pad: 'same', bias: s.bias ? b : undefined }), s, g, sets, 'x'),
  };

  const backwardInput: KernelCase = {
    ...base, pass: 'backward_input', flops, bytes: 4 * (sizes.y + sizes.w + sizes.x), variants: variants('backwardInput'),
    async prepare(gpu) {
      const io = inputs(gpu);
      const dx = outputs(gpu, 4 * sizes.x, sets, 'bench:conv2d:dx');
      const samples = sampleIndices(sizes.x);
      return {
        run: (v, i) => runConv2dBackwardInputSliced(gpu, io.dy.at(i), io.w.at(i), dx.at(i), g, v as Conv2dVariant),
        async check(v) {
          runConv2dBackwardInputSliced(gpu, io.dy.at(0), io.w.at(0), dx.at(0), g, v as Conv2dVariant);
          return sampledError(await gpu.read(dx.at(0), 4 * sizes.x), samples, (i) => backwardInputAt(g, io.dy.host, io.w.host, i));
        },
        dispose: () => { io.free(); dx.buffers.forEach((b) => gpu.free(b)); },
      };
    },
    peer: depthwise
      ? peer('runKernel DepthwiseConv2dNativeBackpropInput', (tf, _x, w, _b, dy) => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput',
        { dy, filter: w }, { strides: s.stride, pad: 'same', dilations: 1, inputShape: nhwcShape(s.x) }) as TfTensor, s, g, sets, 'dy')
      : peer('tf.conv2dTranspose (Conv2DBackpropInput)', (tf, _x, w, _b, dy) => tf.conv2dTranspose(dy, w, nhwcShape(s.x), s.stride, 'same'), s, g, sets, 'dy'),
  };

  const backwardWeight: KernelCase = {
    ...base, pass: 'backward_weight', flops, bytes: 4 * (sizes.x + sizes.y + sizes.w), variants: variants('backwardWeight'),
    async prepare(gpu) {
      const io = inputs(gpu);
      const dw = outputs(gpu, 4 * sizes.w, sets, 'bench:conv2d:dw');
      const samples = sampleIndices(sizes.w, WEIGHT_SAMPLES);
      return {
        run: (v, i) => runConv2dBackwardWeightSliced(gpu, io.x.at(i), io.dy.at(i), dw.at(i), g, v as Conv2dVariant),
        async check(v) {
          runConv2dBackwardWeightSliced(gpu, io.x.at(0), io.dy.at(0), dw.at(0), g, v as Conv2dVariant);
          return sampledError(await gpu.read(dw.at(0), 4 * sizes.w), samples, (i) => backwardWeightAt(g, io.x.host, io.dy.host, i));
        },
        dispose: () => { io.free(); dw.buffers.forEach((b) => gpu.free(b)); },
      };
    },
    peer: depthwise
      ? peer('runKernel DepthwiseConv2dNativeBackpropFilter', (tf, x, _w, _b, dy) => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter',
        { x, dy }, { strides: s.stride, pad: 'same', dilations: 1, filterShape: [g.kh, g.kw, g.cin, 1] }) as TfTensor, s, g, sets, 'both')
      : peer('runKernel Conv2DBackpropFilter', (tf, x, _w, _b, dy) => tf.engine().runKernel('Conv2DBackpropFilter',
        { x, dy }, { strides: s.stride, pad: 'same', dataFormat: 'NHWC', filterShape: [g.kh, g.kw, g.cin / g.groups, g.cout] }) as TfTensor, s, g, sets, 'both'),
  };

  const cases = [forward, backwardInput, backwardWeight];
  if (s.bias) {
    cases.push({
      ...base, pass: 'backward_bias', flops: sizes.y, bytes: 4 * (sizes.y + g.cout), variants: ['chunked'],
      async prepare(gpu) {
        const dy = rotated(gpu, sizes.y, 4, sets, 'bench:conv2d:dy');
        const db = gpu.alloc(4 * g.cout, 'bench:conv2d:db');
        const plane = g.oh * g.ow;
        return {
          run: (_v, i) => runConv2dBackwardBiasSliced(gpu, dy.at(i), db, g),
          async check() {
            runConv2dBackwardBiasSliced(gpu, dy.at(0), db, g);
            return sampledError(await gpu.read(db, 4 * g.cout), [...Array(g.cout).keys()], (co) => {
              let value = 0;
              let magnitude = 0;
              for (let n = 0; n < g.batch; n++) {
                for (let p = 0, o = (n * g.cout + co) * plane; p < plane; p++) {
                  value += dy.host[o + p]!;
                  magnitude += Math.abs(dy.host[o + p]!);
                }
              }
              return { value, magnitude, terms: g.batch * plane };
            });
          },
          dispose: () => [...dy.buffers, db].forEach((buf) => gpu.free(buf)),
        };
      },
      peer: peer('tf.sum(dy, [0, 1, 2])', (tf, _x, _w, _b, dy) => tf.sum(dy, [0, 1, 2]), s, g, sets, 'dy'),
    });
  }
  return cases;
}

/** y as tfjs's NHWC shape. */
function nhwcShape(x: Nchw): [number, number, number, number] {
  return [x[0], x[2], x[3], x[1]];
}

/** The peer with its own rotation sets of x and/or dy (NHWC), and one filter (HWIO; [KH, KW, C, 1] depthwise). */
function peer(name: string, op: (tf: Tf, x: Tf4, w: Tf4, b: TfTensor, dy: Tf4) => TfTensor, s: ConvShape, g: Conv2dGeometry,
  sets: number, uses: 'x' | 'dy' | 'both'): PeerCase {
  return {
    name,
    prepare(tf) {
      const yShape: Nchw = [g.batch, g.cout, g.oh, g.ow];
      const xs = uses === 'dy' ? [] : peerSets(tf, nhwc(tf, hostData(s.x.reduce((a, b) => a * b, 1), 1), s.x), sets);
      const dys = uses === 'x' ? [] : peerSets(tf, nhwc(tf, hostData(yShape.reduce((a, b) => a * b, 1), 4), yShape), sets);
      const wData = hostData(s.w.reduce((a, b) => a * b, 1), 2, -0.5, 0.5);
      // Depthwise OIHW [C, 1, KH, KW] -> [KH, KW, C, 1]; dense OIHW -> HWIO.
      const w = onGpu(tf, s.groups > 1 ? tf.tidy(() => tf.transpose(tf.tensor4d(wData, [...s.w]), [2, 3, 0, 1])) : hwio(tf, wData, s.w));
      const b = onGpu(tf, tf.tensor1d(hostData(g.cout, 3)));
      return {
        run: (i) => op(tf, xs[i % sets] as Tf4, w as Tf4, b, dys[i % sets] as Tf4),
        dispose: () => [...xs, ...dys, w, b].forEach((t) => t.dispose()),
      };
    },
  };
}

/** y[n, co, oy, ox] = b[co] + sum over ci (of co's group), ky, kx of x[n, ci, iy, ix] * w[co, ci', ky, kx]. */
function forwardAt(g: Conv2dGeometry, x: Float32Array, w: Float32Array, b: Float32Array | null, i: number): Expected {
  const ox = i % g.ow;
  const oy = Math.floor(i / g.ow) % g.oh;
  const co = Math.floor(i / (g.ow * g.oh)) % g.cout;
  const n = Math.floor(i / (g.ow * g.oh * g.cout));
  const cinG = g.cin / g.groups;
  const group = Math.floor(co / (g.cout / g.groups));
  let value = b ? b[co]! : 0;
  let magnitude = Math.abs(value);
  for (let c = 0; c < cinG; c++) {
    const ci = group * cinG + c;
    for (let ky = 0; ky < g.kh; ky++) {
      const iy = oy * g.strideH - g.padH + ky * g.dilH;
      if (iy < 0 || iy >= g.h) continue;
      for (let kx = 0; kx < g.kw; kx++) {
        const ix = ox * g.strideW - g.padW + kx * g.dilW;
        if (ix < 0 || ix >= g.w) continue;
        const term = x[((n * g.cin + ci) * g.h + iy) * g.w + ix]! * w[((co * cinG + c) * g.kh + ky) * g.kw + kx]!;
        value += term;
        magnitude += Math.abs(term);
      }
    }
  }
  return { value, magnitude, terms: cinG * g.kh * g.kw };
}

/** dx[n, ci, iy, ix] = sum over the co of ci's group and the taps that read (iy, ix) of dy[n, co, oy, ox] * w. */
function backwardInputAt(g: Conv2dGeometry, dy: Float32Array, w: Float32Array, i: number): Expected {
  const ix = i % g.w;
  const iy = Math.floor(i / g.w) % g.h;
  const ci = Math.floor(i / (g.w * g.h)) % g.cin;
  const n = Math.floor(i / (g.w * g.h * g.cin));
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  const group = Math.floor(ci / cinG);
  let value = 0;
  let magnitude = 0;
  for (let c = 0; c < coutG; c++) {
    const co = group * coutG + c;
    for (let ky = 0; ky < g.kh; ky++) {
      const ty = iy + g.padH - ky * g.dilH;
      if (ty < 0 || ty % g.strideH !== 0 || ty / g.strideH >= g.oh) continue;
      for (let kx = 0; kx < g.kw; kx++) {
        const tx = ix + g.padW - kx * g.dilW;
        if (tx < 0 || tx % g.strideW !== 0 || tx / g.strideW >= g.ow) continue;
        const term = dy[((n * g.cout + co) * g.oh + ty / g.strideH) * g.ow + tx / g.strideW]! *
          w[((co * cinG + (ci - group * cinG)) * g.kh + ky) * g.kw + kx]!;
        value += term;
        magnitude += Math.abs(term);
      }
    }
  }
  return { value, magnitude, terms: coutG * g.kh * g.kw };
}

/** dw[co, c, ky, kx] = sum over n, oy, ox of dy[n, co, oy, ox] * x[n, ci, oy + ky - pad, ox + kx - pad]. */
function backwardWeightAt(g: Conv2dGeometry, x: Float32Array, dy: Float32Array, i: number): Expected {
  const kx = i % g.kw;
  const ky = Math.floor(i / g.kw) % g.kh;
  const cinG = g.cin / g.groups;
  const c = Math.floor(i / (g.kw * g.kh)) % cinG;
  const co = Math.floor(i / (g.kw * g.kh * cinG));
  const ci = Math.floor(co / (g.cout / g.groups)) * cinG + c;
  let value = 0;
  let magnitude = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      const iy = oy * g.strideH - g.padH + ky * g.dilH;
      if (iy < 0 || iy >= g.h) continue;
      const dyRow = ((n * g.cout + co) * g.oh + oy) * g.ow;
      const xRow = ((n * g.cin + ci) * g.h + iy) * g.w;
      for (let ox = 0; ox < g.ow; ox++) {
        const ix = ox * g.strideW - g.padW + kx * g.dilW;
        if (ix < 0 || ix >= g.w) continue;
        const term = dy[dyRow + ox]! * x[xRow + ix]!;
        value += term;
        magnitude += Math.abs(term);
      }
    }
  }
  return { value, magnitude, terms: g.batch * g.oh * g.ow };
}
