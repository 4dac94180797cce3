/**
 * concat along channels at CNN-X's head: 4 branch outputs [N, 16, 75, 75] -> [N, 64, 75, 75] (one dispatch per
 * input), and its backward (the 4 channel slices of dy). E = elements of y: bytes = 8E (read all, write all), no FLOPs.
 * Peers: tf.concat(xs, 3) and tf.split(dy, 4, 3) in NHWC.
 */
import { runConcatInto, runSliceChannels, type ConcatVariant } from '../../kernels/concat.js';
import type { KernelCase } from '../case.js';
import { dims } from '../case.js';
import { exactError, hostData, makeSets, outputs, rotated, rotationSets, sampleIndices } from '../data.js';
import { nhwc, peerSets, type Tf4 } from '../peer_tfjs.js';
import type { Nchw } from '../shapes.js';

const PARTS = 4;

export function concatCases(batch: number): KernelCase[] {
  const part: Nchw = [batch, 16, 75, 75];
  const inner = part[2] * part[3];
  const cy = PARTS * part[1];
  const partSize = part.reduce((a, b) => a * b, 1);
  const e = PARTS * partSize;
  const sets = rotationSets(8 * e);
  const slice = (k: number) => ({ batch, cx: part[1], cy, inner, offset: k * part[1] });
  /** Where element i of y comes from: part k, element j. */
  const source = (i: number): [number, number] => {
    const c = Math.floor(i / inner) % cy;
    const n = Math.floor(i / (inner * cy));
    const k = Math.floor(c / part[1]);
    return [k, (n * part[1] + (c - k * part[1])) * inner + (i % inner)];
  };
  const base = { op: 'concat', label: 'cnnx', shape: `${PARTS} x ${dims(part)} -> ${dims([batch, cy, part[2], part[3]])}`, flops: 0, bytes: 8 * e, variants: ['direct', 'rows', 'blocks'] };
  return [
    {
      ...base, pass: 'forward',
      async prepare(gpu) {
        const xs = makeSets(PARTS, (k) => rotated(gpu, partSize, 70 + k, sets, `bench:concat:x${k}`));
        const y = outputs(gpu, 4 * e, sets, 'bench:concat:y');
        const samples = sampleIndices(e);
        const run = (v: string, i: number) =>
          xs.forEach((x, k) => runConcatInto(gpu, x.at(i), y.at(i), slice(k), v as ConcatVariant));
        return {
          run: (v, i) => run(v, i),
          async check(v) {
            run(v, 0);
            return exactError(await gpu.read(y.at(0), 4 * e), samples, (i) => {
              const [k, j] = source(i);
              return xs[k]!.host[j]!;
            });
          },
          dispose: () => [...xs.flatMap((x) => x.buffers), ...y.buffers].forEach((b) => gpu.free(b)),
        };
      },
      peer: {
        name: 'tf.concat(xs, 3)',
        prepare(tf) {
          const parts = makeSets(PARTS, (k) => peerSets(tf, nhwc(tf, hostData(partSize, 70 + k), part), sets));
          return { run: (i) => tf.concat(parts.map((p) => p[i % sets]!) as Tf4[], 3), dispose: () => parts.flat().forEach((t) => t.dispose()) };
        },
      },
    },
    {
      ...base, pass: 'backward',
      async prepare(gpu) {
        const dy = rotated(gpu, e, 75, sets, 'bench:concat:dy');
        const dxs = makeSets(PARTS, (k) => outputs(gpu, 4 * partSize, sets, `bench:concat:dx${k}`));
        const run = (v: string, i: number) =>
          dxs.forEach((dx, k) => runSliceChannels(gpu, dy.at(i), dx.at(i), slice(k), v as ConcatVariant));
        const samples = sampleIndices(e);
        return {
          run: (v, i) => run(v, i),
          async check(v) {
            run(v, 0);
            const parts = await Promise.all(dxs.map((dx) => gpu.read(dx.at(0), 4 * partSize)));
            const got = new Float32Array(e);
            for (const i of samples) {
              const [k, j] = source(i);
              got[i] = parts[k]![j]!;
            }
            return exactError(got, samples, (i) => dy.host[i]!);
          },
          dispose: () => [...dy.buffers, ...dxs.flatMap((dx) => dx.buffers)].forEach((b) => gpu.free(b)),
        };
      },
      peer: {
        name: 'tf.split(dy, 4, 3)',
        prepare(tf) {
          const dys = peerSets(tf, nhwc(tf, hostData(e, 75), [batch, cy, part[2], part[3]]), sets);
          return { run: (i) => tf.split(dys[i % sets]!, PARTS, 3), dispose: () => dys.forEach((t) => t.dispose()) };
        },
      },
    },
  ];
}
