/**
 * The kernel each conv2d variant dispatches for a pass, so a test can say which kernels should run for whatever
 * variant this device's rules pick (the rules differ between software and hardware GPUs).
 */
import type { Conv2dVariant } from '../../src/kernels/conv2d.js';

export const FORWARD_KERNELS: Partial<Record<Conv2dVariant, string>> = {
  direct: 'conv2d.forward',
  gemm: 'conv2d.forward_2_gemm',
  subgroup: 'conv2d.forward_3_subgroup',
  pointwise: 'conv2d.forward_4_pointwise',
  tiled: 'conv2d.forward_5_tiled',
  depthwise: 'conv2d.forward_6_depthwise',
  patch: 'conv2d.forward_7_patch',
};

export const WEIGHT_GRADIENT_KERNELS: Partial<Record<Conv2dVariant, string>> = {
  direct: 'conv2d.backward_weight',
  gemm: 'conv2d.backward_weight_2_gemm',
  subgroup: 'conv2d.backward_weight_3_subgroup',
  pointwise: 'conv2d.backward_weight_6_pointwise',
  depthwise: 'conv2d.backward_weight_4_depthwise',
  patch: 'conv2d.backward_weight_5_patch',
};
