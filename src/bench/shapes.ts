/**
 * The shapes that matter, from the models cnnx trains: CNN-X (1 gray channel at 224x224, four conv branches of 16
 * filters, 3/5/9/9 wide, pool 2 stride 3, fc over 64 * 75 * 75 = 360,000 features, 4 classes), ResNet-50's
 * bottleneck convs at 56x56 (layer1) and 14x14 (layer3) and its first downsampling conv (layer2's 1x1 at stride 2),
 * and Xception's depthwise 3x3 convs (entry flow at
 * 147x147, middle flow at 19x19). `batch` is the training batch (15, the paper's) or smaller in --quick mode.
 */
export type Nchw = [number, number, number, number];

export interface ConvShape {
  label: string;
  x: Nchw;
  /** OIHW. */
  w: Nchw;
  pad: number;
  stride: number;
  groups: number;
  bias: boolean;
}

export function convShapes(batch: number): ConvShape[] {
  const conv = (label: string, cin: number, h: number, cout: number, k: number, groups = 1, bias = false, stride = 1):
    ConvShape => ({ label, x: [batch, cin, h, h], w: [cout, cin / groups, k, k], pad: k >> 1, stride, groups, bias });
  return [
    conv('cnnx_3x3', 1, 224, 16, 3, 1, true),
    conv('cnnx_5x5', 1, 224, 16, 5, 1, true),
    conv('cnnx_9x9', 1, 224, 16, 9, 1, true),
    conv('resnet50_3x3_56', 64, 56, 64, 3),
    conv('resnet50_1x1_56_expand', 64, 56, 256, 1),
    conv('resnet50_1x1_56_reduce', 256, 56, 64, 1),
    conv('resnet50_3x3_14', 256, 14, 256, 3),
    conv('resnet50_1x1_14_expand', 256, 14, 1024, 1),
    conv('resnet50_1x1_14_reduce', 1024, 14, 256, 1),
    conv('resnet50_1x1_56_down', 256, 56, 512, 1, 1, false, 2),
    conv('xception_dw3x3_147', 128, 147, 128, 3, 128),
    conv('xception_dw3x3_19', 728, 19, 728, 3, 728),
  ];
}

/** CNN-X's branch activations: conv output, batch norm, ReLU and pool input. */
export function cnnxActivation(batch: number): Nchw {
  return [batch, 16, 224, 224];
}

/** ResNet-50's layer1 activations (batch norm, ReLU, residual add). */
export function resnetActivation(batch: number): Nchw {
  return [batch, 64, 56, 56];
}

/** CNN-X's fc layer: x [batch, 360,000], w [4, 360,000]. */
export const CNNX_FC = { k: 64 * 75 * 75, m: 4 };

/** CNN-X's parameters: 4 convs with bias, 4 batch norms, fc with bias (1,443,332 floats, 99.8% the fc weight). */
export const CNNX_PARAMETERS = 16 * (9 + 25 + 81 + 81) + 4 * 16 + 4 * 2 * 16 + CNNX_FC.k * CNNX_FC.m + CNNX_FC.m;
