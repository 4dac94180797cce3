/**
 * The kernel each conv2d variant dispatches for a pass, so a test can say which kernels should run for whatever
 * variant this device's rules pick (the rules differ between software and hardware GPUs).
 */
import type { Conv2dGeometry, Conv2dVariant } from '../../src/kernels/conv2d.js';

export const FORWARD_KERNELS: Partial<Record<Conv2dVariant, string>> = {
  direct: 'conv2d.forward',
  gemm: 'conv2d.forward_2_gemm',
  subgroup: 'conv2d.forward_3_subgroup',
  pointwise: 'conv2d.forward_4_pointwise',
  tiled: 'conv2d.forward_5_tiled',
  depthwise: 'conv2d.forward_6_depthwise',
  patch: 'conv2d.forward_7_patch',
  winograd: 'conv2d.forward_8_winograd_output',
};

/** The passes 'winograd' runs, in order: weights' and inputs' transforms, the 36 products, the output transform. */
export const WINOGRAD_KERNELS = [
  'conv2d.forward_8_winograd_weights', 'conv2d.forward_8_winograd_input', 'conv2d.forward_4_pointwise',
  'conv2d.forward_8_winograd_output',
];

const WEIGHT_GRADIENT_KERNELS: Partial<Record<Conv2dVariant, string>> = {
  direct: 'conv2d.backward_weight',
  gemm: 'conv2d.backward_weight_2_gemm',
  subgroup: 'conv2d.backward_weight_3_subgroup',
  pointwise: 'conv2d.backward_weight_6_pointwise',
  depthwise: 'conv2d.backward_weight_4_depthwise',
  patch: 'conv2d.backward_weight_5_patch',
  winograd: 'conv2d.backward_weight_7_winograd_output',
};

/**
 * The kernel a weight-gradient variant runs at this geometry: 'gemm' walks rows of a multiple of 4 pixels by quads
 * (backward_weight_2_gemm_quads), 'subgroup' planes of a multiple of 4 pixels with rows of 4 or more
 * (backward_weight_3_subgroup_planes). On a software device 'subgroup' also walks other planes with rows of 4 or
 * more (dy padded), and runs a 1x1 conv's without padding or dilation whose planes are not a multiple of 4 or whose
 * stride skips inputs as 'pointwise' on packed planes.
 */
export function weightGradientKernel(variant: Conv2dVariant, g: Conv2dGeometry, software = false): string | undefined {
  if (variant === 'gemm' && g.ow % 4 === 0) return 'conv2d.backward_weight_2_gemm_quads';
  if (variant === 'subgroup') {
    const quads = (g.oh * g.ow) % 4 === 0;
    const plain1x1 = g.kh === 1 && g.kw === 1 && g.padH === 0 && g.padW === 0 && g.dilH === 1 && g.dilW === 1;
    if (software && plain1x1 && (!quads || g.strideH > 1 || g.strideW > 1)) return 'conv2d.backward_weight_6_pointwise';
    if ((quads || software) && g.ow >= 4) return 'conv2d.backward_weight_3_subgroup_planes';
  }
  return WEIGHT_GRADIENT_KERNELS[variant];
}
