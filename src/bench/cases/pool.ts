/**
 * Pooling: max and average pooling at CNN-X's kernel 2 stride 3 on [N, 16, 224, 224] (-> 75x75), ResNet-50's stem
 * max pool (kernel 3, stride 2, padding 1 on [N, 64, 112, 112] -> 56x56) and its global average pool over
 * [N, 2048, 7, 7]; every variant that applies, checked against a host reference at sampled outputs.
 *
 * E = input elements, O = output elements, 4 bytes each:
 *   maxpool2d.forward:  read x, write y and idx (u32) = 4E + 8O;  maxpool2d.backward: read idx and dy, write dx = 8O + 4E
 *   avgpool2d.forward:  read x, write y = 4E + 4O;                  avgpool2d.backward: read dy, write dx = 4O + 4E
 *   adaptive_avgpool2d (global): the same as avgpool2d.  FLOPs: one per window tap (forward), per input (backward).
 * E counts all of x although CNN-X's stride 3 > kernel 2 leaves every third row and column unread.
 * Peers: tf.maxPool / tf.avgPool / tf.mean in NHWC, and the MaxPoolGrad / AvgPoolGrad kernels their gradients run
 * (the global pool's gradient is dy broadcast over the plane and scaled, as tf.mean's).
 */
import {
  runAdaptiveAvgpool2dBackward,
  runAdaptiveAvgpool2dForward,
  type AdaptiveBackwardVariant,
  type AdaptiveForwardVariant,
} from '../../kernels/adaptive_avgpool2d.js';
import { runAvgpool2dBackward, runAvgpool2dForward } from '../../kernels/avgpool2d.js';
import { runMaxpool2dBackward, runMaxpool2dForward } from '../../kernels/maxpool2d.js';
import {
  poolBackwardVariants,
  poolForwardVariants,
  poolGeometry,
  type Pool2dGeometry,
  type PoolBackwardVariant,
  type PoolForwardVariant,
} from '../../kernels/pool_geometry.js';
import type { KernelCase, PeerCase } from '../case.js';
import { dims } from '../case.js';
import { exactError, hostData, makeSets, outputs, rotated, rotationSets, sampleIndices, sampledError } from '../data.js';
import { nhwc, peerSets, type Tf, type Tf4, type TfTensor } from '../peer_tfjs.js';
import type { Nchw } from '../shapes.js';

const DIVISOR = { countIncludePad: true, divisorOverride: 0 };

interface PoolSpec {
  label: string;
  x: Nchw;
  kernel: number;
  stride: number;
  padding: number;
}

export function poolCases(batch: number): KernelCase[] {
  const cnnx: PoolSpec = { label: 'cnnx', x: [batch, 16, 224, 224], kernel: 2, stride: 3, padding: 0 };
  const stem: PoolSpec = { label: 'resnet50_stem', x: [batch, 64, 112, 112], kernel: 3, stride: 2, padding: 1 };
  return [...maxCases(cnnx), ...avgCases(cnnx), ...maxCases(stem), ...globalCases(batch)];
}

function sizes(g: Pool2dGeometry) {
  return { e: g.planes * g.h * g.w, o: g.planes * g.oh * g.ow };
}

function words(s: PoolSpec): string {
  return `x ${dims(s.x)}, kernel ${s.kernel}, stride ${s.stride}${s.padding ? `, padding ${s.padding}` : ''}`;
}

/** The window's first maximum (its plane position) and the windows covering each input, on the host. */
function windowArgmax(x: Float32Array, g: Pool2dGeometry, o: number): { value: number; at: number } {
  const ox = o % g.ow;
  const oy = Math.floor(o / g.ow) % g.oh;
  const base = Math.floor(o / (g.ow * g.oh)) * g.h * g.w;
  let value = -Infinity;
  let at = -1;
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = oy * g.sh - g.ph + ky * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const ix = ox * g.sw - g.pw + kx * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      const v = x[base + iy * g.w + ix]!;
      if (v > value) {
        value = v;
        at = iy * g.w + ix;
      }
    }
  }
  return { value, at };
}

/** The outputs whose window contains input (iy, ix) of plane p. */
function windowsOf(g: Pool2dGeometry, i: number): number[] {
  const ix = i % g.w;
  const iy = Math.floor(i / g.w) % g.h;
  const p = Math.floor(i / (g.w * g.h));
  const out: number[] = [];
  for (let oy = 0; oy < g.oh; oy++) {
    const y0 = oy * g.sh - g.ph;
    if (iy < y0 || iy >= y0 + g.kh) continue;
    for (let ox = 0; ox < g.ow; ox++) {
      const x0 = ox * g.sw - g.pw;
      if (ix >= x0 && ix < x0 + g.kw) out.push((p * g.oh + oy) * g.ow + ox);
    }
  }
  return out;
}

function maxCases(s: PoolSpec): KernelCase[] {
  const g = poolGeometry('maxpool2d', s.x, { kernel: s.kernel, stride: s.stride, padding: s.padding });
  const { e, o } = sizes(g);
  const sets = rotationSets(4 * (2 * e + 3 * o));
  const base = { op: 'maxpool2d', label: s.label, shape: words(s) };
  const forward: KernelCase = {
    ...base, pass: 'forward', flops: o * g.kh * g.kw, bytes: 4 * e + 8 * o, variants: poolForwardVariants(g, 'maxpool2d'),
    async prepare(gpu) {
      const x = rotated(gpu, e, 21, sets, 'bench:maxpool:x');
      const y = outputs(gpu, 4 * o, sets, 'bench:maxpool:y');
      const idx = outputs(gpu, 4 * o, sets, 'bench:maxpool:idx');
      const samples = sampleIndices(o);
      return {
        run: (v, i) => runMaxpool2dForward(gpu, x.at(i), y.at(i), idx.at(i), g, v as PoolForwardVariant),
        async check(v) {
          runMaxpool2dForward(gpu, x.at(0), y.at(0), idx.at(0), g, v as PoolForwardVariant);
          const yError = exactError(await gpu.read(y.at(0), 4 * o), samples, (k) => windowArgmax(x.host, g, k).value);
          const got = new Uint32Array((await gpu.read(idx.at(0), 4 * o)).buffer);
          const idxError = samples.some((k) => got[k] !== windowArgmax(x.host, g, k).at) ? Infinity : 0;
          return Math.max(yError, idxError);
        },
        dispose: () => [...x.buffers, ...y.buffers, ...idx.buffers].forEach((b) => gpu.free(b)),
      };
    },
    peer: peer(`tf.maxPool`, s, g, sets, (tf, x) => tf.maxPool(x, s.kernel, s.stride, s.padding || 'valid')),
  };
  const backward: KernelCase = {
    ...base, pass: 'backward', flops: e, bytes: 8 * o + 4 * e, variants: poolBackwardVariants(g),
    async prepare(gpu) {
      const x = rotated(gpu, e, 21, sets, 'bench:maxpool:x');
      const dy = rotated(gpu, o, 22, sets, 'bench:maxpool:dy');
      const y = gpu.alloc(4 * o, 'bench:maxpool:y');
      const idx = makeSets(sets, (k) => {
        const buffer = gpu.alloc(4 * o, `bench:maxpool:idx[${k}]`);
        runMaxpool2dForward(gpu, x.at(k), y, buffer, g);
        return buffer;
      });
      const dx = outputs(gpu, 4 * e, sets, 'bench:maxpool:dx');
      const samples = sampleIndices(e);
      return {
        run: (v, i) => runMaxpool2dBackward(gpu, idx[i % sets]!, dy.at(i), dx.at(i), g, v as PoolBackwardVariant),
        async check(v) {
          runMaxpool2dBackward(gpu, idx[0]!, dy.at(0), dx.at(0), g, v as PoolBackwardVariant);
          return sampledError(await gpu.read(dx.at(0), 4 * e), samples, (k) => {
            const plane = k % (g.h * g.w);
            let value = 0;
            let magnitude = 0;
            for (const w of windowsOf(g, k)) {
              if (windowArgmax(x.host, g, w).at !== plane) continue;
              value += dy.host[w]!;
              magnitude += Math.abs(dy.host[w]!);
            }
            return { value, magnitude, terms: 4 };
          });
        },
        dispose: () => [...x.buffers, ...dy.buffers, y, ...idx, ...dx.buffers].forEach((b) => gpu.free(b)),
      };
    },
    peer: peer('runKernel MaxPoolGrad', s, g, sets, (tf, x, dy, y) => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y },
      { filterSize: s.kernel, strides: s.stride, pad: s.padding || 'valid' }) as TfTensor, true),
  };
  return [forward, backward];
}

function avgCases(s: PoolSpec): KernelCase[] {
  const g = poolGeometry('avgpool2d', s.x, { kernel: s.kernel, stride: s.stride, padding: s.padding });
  const { e, o } = sizes(g);
  const sets = rotationSets(8 * (e + o));
  const base = { op: 'avgpool2d', label: s.label, shape: words(s) };
  const area = g.kh * g.kw;
  const forward: KernelCase = {
    ...base, pass: 'forward', flops: o * area, bytes: 4 * e + 4 * o, variants: poolForwardVariants(g, 'avgpool2d'),
    async prepare(gpu) {
      const x = rotated(gpu, e, 31, sets, 'bench:avgpool:x');
      const y = outputs(gpu, 4 * o, sets, 'bench:avgpool:y');
      const samples = sampleIndices(o);
      return {
        run: (v, i) => runAvgpool2dForward(gpu, x.at(i), y.at(i), g, DIVISOR, v as PoolForwardVariant),
        async check(v) {
          runAvgpool2dForward(gpu, x.at(0), y.at(0), g, DIVISOR, v as PoolForwardVariant);
          return sampledError(await gpu.read(y.at(0), 4 * o), samples, (k) => {
            const ox = k % g.ow;
            const oy = Math.floor(k / g.ow) % g.oh;
            const base0 = Math.floor(k / (g.ow * g.oh)) * g.h * g.w;
            let value = 0;
            let magnitude = 0;
            for (let ky = 0; ky < g.kh; ky++) {
              for (let kx = 0; kx < g.kw; kx++) {
                const iy = oy * g.sh - g.ph + ky;
                const ix = ox * g.sw - g.pw + kx;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                value += x.host[base0 + iy * g.w + ix]! / area;
                magnitude += Math.abs(x.host[base0 + iy * g.w + ix]!) / area;
              }
            }
            return { value, magnitude, terms: area };
          });
        },
        dispose: () => [...x.buffers, ...y.buffers].forEach((b) => gpu.free(b)),
      };
    },
    peer: peer('tf.avgPool', s, g, sets, (tf, x) => tf.avgPool(x, s.kernel, s.stride, s.padding || 'valid')),
  };
  const backward: KernelCase = {
    ...base, pass: 'backward', flops: e, bytes: 4 * o + 4 * e, variants: poolBackwardVariants(g),
    async prepare(gpu) {
      const dy = rotated(gpu, o, 32, sets, 'bench:avgpool:dy');
      const dx = outputs(gpu, 4 * e, sets, 'bench:avgpool:dx');
      const samples = sampleIndices(e);
      return {
        run: (v, i) => runAvgpool2dBackward(gpu, dy.at(i), dx.at(i), g, DIVISOR, v as PoolBackwardVariant),
        async check(v) {
          runAvgpool2dBackward(gpu, dy.at(0), dx.at(0), g, DIVISOR, v as PoolBackwardVariant);
          return sampledError(await gpu.read(dx.at(0), 4 * e), samples, (k) => {
            const ws = windowsOf(g, k);
            return {
              value: ws.reduce((sum, w) => sum + dy.host[w]! / area, 0),
              magnitude: ws.reduce((sum, w) => sum + Math.abs(dy.host[w]!) / area, 0),
              terms: Math.max(1, ws.length),
            };
          });
        },
        dispose: () => [...dy.buffers, ...dx.buffers].forEach((b) => gpu.free(b)),
      };
    },
    peer: peer('runKernel AvgPoolGrad', s, g, sets, (tf, x, dy) => tf.engine().runKernel('AvgPoolGrad', { dy, input: x },
      { filterSize: s.kernel, strides: s.stride, pad: s.padding || 'valid' }) as TfTensor),
  };
  return [forward, backward];
}

function globalCases(batch: number): KernelCase[] {
  const [n, c, h, w] = [batch, 2048, 7, 7];
  const g = { planes: n * c, h, w, oh: 1, ow: 1 };
  const e = n * c * h * w;
  const o = n * c;
  const sets = rotationSets(8 * (e + o));
  const base = { op: 'adaptive_avgpool2d', label: 'resnet50_head', shape: `x ${dims([n, c, h, w])} -> [${n}, ${c}, 1, 1]` };
  // forward_1_global is picked for planes of at least GLOBAL_REDUCE_MIN, forward_2_planes4 for small ones; all apply here.
  const variants: AdaptiveForwardVariant[] = ['direct', 'global', 'planes4'];
  const spec: PoolSpec = { label: 'resnet50_head', x: [n, c, h, w], kernel: h, stride: h, padding: 0 };
  const pg = poolGeometry('avgpool2d', spec.x, { kernel: h });
  const forward: KernelCase = {
    ...base, pass: 'forward', flops: e, bytes: 4 * (e + o), variants,
    async prepare(gpu) {
      const x = rotated(gpu, e, 41, sets, 'bench:gap:x');
      const y = outputs(gpu, 4 * o, sets, 'bench:gap:y');
      const samples = sampleIndices(o);
      return {
        run: (v, i) => runAdaptiveAvgpool2dForward(gpu, x.at(i), y.at(i), g, v as AdaptiveForwardVariant),
        async check(v) {
          runAdaptiveAvgpool2dForward(gpu, x.at(0), y.at(0), g, v as AdaptiveForwardVariant);
          return sampledError(await gpu.read(y.at(0), 4 * o), samples, (p) => {
            let value = 0;
            let magnitude = 0;
            for (let k = 0; k < h * w; k++) {
              value += x.host[p * h * w + k]! / (h * w);
              magnitude += Math.abs(x.host[p * h * w + k]!) / (h * w);
            }
            return { value, magnitude, terms: h * w };
          });
        },
        dispose: () => [...x.buffers, ...y.buffers].forEach((b) => gpu.free(b)),
      };
    },
    peer: peer('tf.mean(x, [1, 2])', spec, pg, sets, (tf, x) => tf.mean(x, [1, 2])),
  };
  const backward: KernelCase = {
    ...base, pass: 'backward', flops: e, bytes: 4 * (e + o), variants: ['direct', 'global', 'planes4'],
    async prepare(gpu) {
      const dy = rotated(gpu, o, 42, sets, 'bench:gap:dy');
      const dx = outputs(gpu, 4 * e, sets, 'bench:gap:dx');
      const samples = sampleIndices(e);
      return {
        run: (v, i) => runAdaptiveAvgpool2dBackward(gpu, dy.at(i), dx.at(i), g, v as AdaptiveBackwardVariant),
        async check(v) {
          runAdaptiveAvgpool2dBackward(gpu, dy.at(0), dx.at(0), g, v as AdaptiveBackwardVariant);
          return sampledError(await gpu.read(dx.at(0), 4 * e), samples, (k) => {
            const value = dy.host[Math.floor(k / (h * w))]! / (h * w);
            return { value, magnitude: Math.abs(value), terms: 1 };
          });
        },
        dispose: () => [...dy.buffers, ...dx.buffers].forEach((b) => gpu.free(b)),
      };
    },
    // tf.mean's gradient: dy reshaped to [N, 1, 1, C], broadcast over the plane, divided by its size.
    peer: peer('tf.div(tf.broadcastTo(dy), H*W) (tf.mean gradient)', spec, pg, sets,
      (tf, _x, dy) => tf.div(tf.broadcastTo(tf.reshape(dy, [n, 1, 1, c]), [n, h, w, c]), h * w)),
  };
  return [forward, backward];
}

/** The peer on NHWC rotation sets of x and dy (and y = maxPool(x) when the gradient needs the forward output). */
function peer(name: string, s: PoolSpec, g: Pool2dGeometry, sets: number,
  op: (tf: Tf, x: Tf4, dy: Tf4, y: Tf4) => TfTensor, needsY = false): PeerCase {
  return {
    name,
    prepare(tf) {
      const xs = peerSets(tf, nhwc(tf, hostData(g.planes * g.h * g.w, 50), s.x), sets);
      const dys = peerSets(tf, nhwc(tf, hostData(g.planes * g.oh * g.ow, 60), [g.n, g.c, g.oh, g.ow]), sets);
      const ys = needsY ? xs.map((x) => tf.maxPool(x as Tf4, s.kernel, s.stride, s.padding || 'valid')) : [];
      return {
        run: (i) => op(tf, xs[i % sets] as Tf4, dys[i % sets] as Tf4, ys[i % sets] as Tf4),
        dispose: () => [...xs, ...dys, ...ys].forEach((t) => t.dispose()),
      };
    },
  };
}
