/**
 * relu at CNN-X's branch activation [N, 16, 224, 224] (E elements, 4 bytes each):
 *   forward:  read x, write y        bytes = 8E,  FLOPs = E (one max each)
 *   backward: read y and dy, write dx bytes = 12E, FLOPs = E
 */
import { runReluBackward, runReluForward } from '../../kernels/relu.js';
import type { KernelCase } from '../case.js';
import { dims } from '../case.js';
import { exactError, hostData, outputs, rotated, rotationSets, sampleIndices } from '../data.js';
import { nhwc, peerSets } from '../peer_tfjs.js';
import { cnnxActivation } from '../shapes.js';

export function reluCases(batch: number): KernelCase[] {
  const shape = cnnxActivation(batch);
  const e = shape.reduce((a, b) => a * b, 1);
  const sets = rotationSets(12 * e);
  return [
    {
      op: 'relu', pass: 'forward', label: 'cnnx', shape: `x ${dims(shape)}`, flops: e, bytes: 8 * e,
      variants: ['vec4'],
      async prepare(gpu) {
        const x = rotated(gpu, e, 1, sets, 'bench:relu:x');
        const y = outputs(gpu, 4 * e, sets, 'bench:relu:y');
        const samples = sampleIndices(e);
        return {
          run: (_variant, i) => runReluForward(gpu, x.at(i), y.at(i), e),
          async check() {
            runReluForward(gpu, x.at(0), y.at(0), e);
            return exactError(await gpu.read(y.at(0), 4 * e), samples, (i) => Math.max(x.host[i]!, 0));
          },
          dispose: () => [...x.buffers, ...y.buffers].forEach((b) => gpu.free(b)),
        };
      },
      peer: {
        name: 'tf.relu',
        prepare(tf) {
          const x = peerSets(tf, nhwc(tf, hostData(e, 1), shape), sets);
          return { run: (i) => tf.relu(x[i % sets]!), dispose: () => x.forEach((t) => t.dispose()) };
        },
      },
    },
    {
      op: 'relu', pass: 'backward', label: 'cnnx', shape: `y, dy ${dims(shape)}`, flops: e, bytes: 12 * e,
      variants: ['vec4'],
      async prepare(gpu) {
        const y = rotated(gpu, e, 2, sets, 'bench:relu:y', -1, 1);
        const dy = rotated(gpu, e, 3, sets, 'bench:relu:dy');
        const dx = outputs(gpu, 4 * e, sets, 'bench:relu:dx');
        const samples = sampleIndices(e);
        return {
          run: (_variant, i) => runReluBackward(gpu, y.at(i), dy.at(i), dx.at(i), e),
          async check() {
            runReluBackward(gpu, y.at(0), dy.at(0), dx.at(0), e);
            return exactError(await gpu.read(dx.at(0), 4 * e), samples, (i) => (y.host[i]! > 0 ? dy.host[i]! : 0));
          },
          dispose: () => [...y.buffers, ...dy.buffers, ...dx.buffers].forEach((b) => gpu.free(b)),
        };
      },
      peer: {
        // tfjs's own Relu gradient: dy * step(x).
        name: 'tf.mul(dy, tf.step(x))',
        prepare(tf) {
          const x = peerSets(tf, nhwc(tf, hostData(e, 2), shape), sets);
          const dy = peerSets(tf, nhwc(tf, hostData(e, 3), shape), sets);
          return {
            run: (i) => tf.mul(dy[i % sets]!, tf.step(x[i % sets]!)),
            dispose: () => [...x, ...dy].forEach((t) => t.dispose()),
          };
        },
      },
    },
  ];
}
