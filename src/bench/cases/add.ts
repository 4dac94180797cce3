/**
 * add at ResNet-50's residual (the block output plus its shortcut) on [N, 256, 56, 56], and add.accumulate, the
 * in-place y += x autograd runs when a tensor feeds two ops (the shortcut's gradient). E elements:
 * bytes = 12E (read two, write one) for both, FLOPs = E. Peer: tf.add (tfjs has no in-place add; it is the peer of both).
 */
import { runAccumulate, runAdd } from '../../kernels/add.js';
import type { KernelCase, PeerCase } from '../case.js';
import { dims } from '../case.js';
import { exactError, hostData, outputs, rotated, rotationSets, sampleIndices } from '../data.js';
import { nhwc, peerSets } from '../peer_tfjs.js';
import type { Nchw } from '../shapes.js';

export function addCases(batch: number): KernelCase[] {
  const shape: Nchw = [batch, 256, 56, 56];
  const e = shape.reduce((a, b) => a * b, 1);
  const sets = rotationSets(12 * e);
  const base = { op: 'add', label: 'resnet50_residual', shape: `a, b ${dims(shape)}`, flops: e, bytes: 12 * e, variants: ['vec4'] };
  const peer: PeerCase = {
    name: 'tf.add',
    prepare(tf) {
      const as = peerSets(tf, nhwc(tf, hostData(e, 80), shape), sets);
      const bs = peerSets(tf, nhwc(tf, hostData(e, 90), shape), sets);
      return { run: (i) => tf.add(as[i % sets]!, bs[i % sets]!), dispose: () => [...as, ...bs].forEach((t) => t.dispose()) };
    },
  };
  return [
    {
      ...base, pass: 'forward',
      async prepare(gpu) {
        const a = rotated(gpu, e, 80, sets, 'bench:add:a');
        const b = rotated(gpu, e, 90, sets, 'bench:add:b');
        const y = outputs(gpu, 4 * e, sets, 'bench:add:y');
        const samples = sampleIndices(e);
        return {
          run: (_v, i) => runAdd(gpu, a.at(i), b.at(i), y.at(i), e),
          async check() {
            runAdd(gpu, a.at(0), b.at(0), y.at(0), e);
            return exactError(await gpu.read(y.at(0), 4 * e), samples, (i) => Math.fround(a.host[i]! + b.host[i]!));
          },
          dispose: () => [...a.buffers, ...b.buffers, ...y.buffers].forEach((buf) => gpu.free(buf)),
        };
      },
      peer,
    },
    {
      ...base, pass: 'accumulate',
      async prepare(gpu) {
        const x = rotated(gpu, e, 80, sets, 'bench:add:x');
        const y = rotated(gpu, e, 90, sets, 'bench:add:y');
        const samples = sampleIndices(e);
        return {
          run: (_v, i) => runAccumulate(gpu, x.at(i), y.at(i), e),
          async check() {
            runAccumulate(gpu, x.at(0), y.at(0), e);
            return exactError(await gpu.read(y.at(0), 4 * e), samples, (i) => Math.fround(x.host[i]! + y.host[i]!));
          },
          dispose: () => [...x.buffers, ...y.buffers].forEach((buf) => gpu.free(buf)),
        };
      },
      peer,
    },
  ];
}
