/** The fused pools' input, built the unfused way: relu(batchnorm2d(x)) and the batch statistics it used. */
import { batchnorm2dRelu, batchnorm2dStats } from '../../src/graph/ops/batchnorm2d.js';
import { Tensor } from '../../src/graph/tensor.js';
import type { Gpu } from '../../src/runtime/gpu.js';

/** relu(batchnorm2d(x)) in training mode with per-channel weight and bias, and the stats rows it used. */
export function normalised(gpu: Gpu, x: Tensor): { z: Tensor; stats: Tensor } {
  const c = x.shape[1]!;
  const state = {
    weight: Tensor.fromData(gpu, Array.from({ length: c }, (_, i) => (i % 2 === 0 ? 1.4 : -0.8)), [c]),
    bias: Tensor.fromData(gpu, Array.from({ length: c }, (_, i) => 0.1 * i - 0.1), [c]),
    runningMean: null,
    runningVar: null,
  };
  const z = batchnorm2dRelu(x, state, { training: true });
  const stats = batchnorm2dStats(x, state, { training: true });
  [state.weight, state.bias].forEach((t) => t.dispose());
  return { z, stats };
}
