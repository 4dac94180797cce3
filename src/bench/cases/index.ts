/** Every kernel case of `cnnx bench`, in the order they run: elementwise, convs, normalisation, pools, the head. */
import type { Conv2dDevice } from '../../kernels/conv2d.js';
import type { KernelCase } from '../case.js';
import { adamCases } from './adam.js';
import { addCases } from './add.js';
import { batchnorm2dCases } from './batchnorm2d.js';
import { concatCases } from './concat.js';
import { conv2dCases } from './conv2d.js';
import { linearCases } from './linear.js';
import { poolCases } from './pool.js';
import { reluCases } from './relu.js';
import { softmaxCrossEntropyCases } from './softmax_cross_entropy.js';

/** `device` says which kernel variants it can run (conv2d's subgroup variants and matmul's outer need subgroups). */
export function allCases(batch: number, device: Conv2dDevice): KernelCase[] {
  return [
    ...reluCases(batch),
    ...addCases(batch),
    ...conv2dCases(batch, device),
    ...batchnorm2dCases(batch),
    ...poolCases(batch),
    ...concatCases(batch),
    ...linearCases(batch, device),
    ...softmaxCrossEntropyCases(batch),
    ...adamCases(),
  ];
}
