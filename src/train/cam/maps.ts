/**
 * Class activation maps of a batch, on the GPU, in evaluation mode:
 * - CAM (Zhou et al. 2016) for a head of global average pooling + linear: M_k = sum_c W_k[c] A_c with A the
 *   features the head pools; for CNN-X's flatten + linear head the exact per-location contribution
 *   M_k[y, x] = sum_c W_k[c, y, x] F[c, y, x] (W_k = fc.weight row k viewed as [C, S, S]). Either way the map
 *   accounts for the logit: mean (GAP) or sum (flatten) of M_k plus the bias is logit k, which is checked.
 * - Grad-CAM (Selvaraju et al.): relu(sum_c alpha_c A_c), alpha_c = spatial mean of d logit_k / d A_c, for any
 *   layer with a [N, C, H, W] output; Grad-CAM++ with its closed-form weights (see cam/gradcampp_weights.wgsl).
 * The gradient comes from the autograd: parameters stop requiring gradients for the pass, the layer's output is
 * captured and made to require one (retainGrad), and backward starts from the selected logits with a one-hot seed.
 * The target class and the seed are made on the GPU (cam.target_seed), so forward, backward and maps run in one
 * scope with no read back in between; logits, classes and maps are read once at the end.
 * Maps are raw (feature resolution, before upsampling or normalisation).
 */
import { backward } from '../../graph/autograd.js';
import { tidy } from '../../graph/scope.js';
import { isGradEnabled, noGrad } from '../../graph/tape.js';
import { Tensor } from '../../graph/tensor.js';
import { runGradcamppWeights, runGradcamWeights } from '../../kernels/cam_channel_weights.js';
import { runCamTargetSeed } from '../../kernels/cam_target_seed.js';
import { runCamWeightedSum, type CamWeightLayout } from '../../kernels/cam_weighted_sum.js';
import type { Classifier } from '../../models/classifier.js';
import { CamError, captureLayer, defaultCamLayer, findLinearHead } from './layers.js';

export const CAM_METHODS = ['cam', 'gradcam', 'gradcam++'] as const;
export type CamMethod = (typeof CAM_METHODS)[number];

export interface CamRequest {
  method: CamMethod;
  /** Module path; the model's default CAM layer when absent (CNN-X: "branches"). */
  layer?: string;
  /** Class whose map is made; the predicted class of each image when absent. */
  targetClass?: number;
}

export interface CamBatch {
  method: CamMethod;
  layer: string;
  /** [N, K] logits, row-major. */
  logits: Float32Array;
  /** The class each map explains. */
  classes: number[];
  /** Raw maps [N, height, width] on the GPU; the caller disposes them. */
  maps: Tensor;
  /** The same maps read back, row-major. */
  values: Float32Array;
  height: number;
  width: number;
}

/** Checks a class index (or name) against the model's classes; returns the index. */
export function resolveClass(target: string | number, classNames: readonly string[]): number {
  const k = classNames.length;
  const byName = typeof target === 'string' ? classNames.indexOf(target) : -1;
  if (byName >= 0) return byName;
  const index = typeof target === 'number' ? target : /^\d+$/.test(target) ? Number(target) : NaN;
  if (!Number.isInteger(index) || index < 0 || index >= k) {
    const known = classNames.map((name, i) => `${i} ${name}`).join(', ');
    throw new CamError(`class ${JSON.stringify(target)} is out of range: the model has ${k} classes (${known})`);
  }
  return index;
}

/** Maps of one batch x [N, C, H, W] (model input) for the request; sets the model to eval mode for the pass. */
export async function computeCams(model: Classifier, x: Tensor, request: CamRequest): Promise<CamBatch> {
  const layer = request.layer ?? defaultCamLayer(model);
  const target = request.targetClass;
  if (target !== undefined && !(Number.isInteger(target) && target >= 0 && target < model.numClasses)) {
    throw new CamError(`class ${target} is out of range: the model has ${model.numClasses} classes (0 to ${model.numClasses - 1})`);
  }
  const wasTraining = model.training;
  model.eval();
  try {
    if (request.method === 'cam') return await linearCam(model, x, layer, request.targetClass);
    return await gradientCam(model, x, layer, request.method, request.targetClass);
  } finally {
    model.train(wasTraining);
  }
}

async function linearCam(model: Classifier, x: Tensor, layer: string, target: number | undefined): Promise<CamBatch> {
  const featuresLayer = defaultCamLayer(model);
  if (layer !== featuresLayer) {
    throw new CamError(`CAM reads the features the head pools ("${featuresLayer}"), not "${layer}"; use --method gradcam for other layers`);
  }
  const { path, linear } = findLinearHead(model);
  const gpu = x.gpu;
  const k = model.numClasses;
  const capture = captureLayer(model, layer);
  let out: { logits: Tensor; targets: Tensor; maps: Tensor };
  let reduce: 'sum' | 'mean' = 'sum';
  try {
    out = noGrad(() =>
      tidy(() => {
        const logits = model.forward(x);
        const [n, c, h, w] = featureShape(capture.output(), layer);
        let layout: CamWeightLayout;
        if (linear.inFeatures === c * h * w) {
          layout = { rowStride: c * h * w, cStride: h * w, sStride: 1 };
          reduce = 'sum';
        } else if (linear.inFeatures === c) {
          layout = { rowStride: c, cStride: 1, sStride: 0 };
          reduce = 'mean';
        } else {
          throw new CamError(
            `CAM needs a head of global average pooling + linear (or flatten + linear): "${path}" takes ` +
              `${linear.inFeatures} features but "${layer}" gives [${c}, ${h}, ${w}]; use --method gradcam`,
          );
        }
        const { seed, targets } = targetSeed(logits, target);
        seed.dispose();
        const maps = Tensor.empty(gpu, [n, h, w], 'cam.weighted_sum:m');
        const shape = { batch: n, channels: c, spatial: h * w };
        runCamWeightedSum(gpu, capture.output().buffer, linear.weight.buffer, targets.buffer, maps.buffer, shape, layout, false);
        return { logits, targets, maps };
      }),
    );
  } finally {
    capture.restore();
  }
  const { logits, targets, maps } = out;
  try {
    const [, h, w] = maps.shape as [number, number, number];
    const logitValues = await logits.read();
    const classes = Array.from(await targets.read());
    const values = await maps.read();
    const bias = linear.bias ? await linear.bias.read() : new Float32Array(k);
    checkAccountsForLogits(values, classes, logitValues, bias, k, h * w, reduce, layer);
    return { method: 'cam', layer, logits: logitValues, classes, maps, values, height: h, width: w };
  } catch (error) {
    maps.dispose();
    throw error;
  } finally {
    logits.dispose();
    targets.dispose();
  }
}

async function gradientCam(
  model: Classifier,
  x: Tensor,
  layer: string,
  method: 'gradcam' | 'gradcam++',
  target: number | undefined,
): Promise<CamBatch> {
  if (!isGradEnabled()) throw new CamError(`${method} needs gradients; do not call it under noGrad()`);
  const gpu = x.gpu;
  const params = model.parameters();
  const requires = params.map((p) => p.requiresGrad);
  // Only the captured layer's output starts the graph: no parameter gradient is computed or accumulated.
  params.forEach((p) => (p.requiresGrad = false));
  const capture = captureLayer(model, layer, (y) => {
    y.requiresGrad = true;
    y.retainGrad = true;
  });
  let out: { logits: Tensor; targets: Tensor; maps: Tensor };
  try {
    // Forward, backward and maps in one scope: the graph's saved tensors live exactly as long as it.
    out = tidy(() => {
      const logits = model.forward(x);
      const activations = capture.output();
      const [n, c, h, w] = featureShape(activations, layer);
      const { seed, targets } = targetSeed(logits, target);
      backward(logits, seed);
      const grad = activations.grad;
      if (!grad) throw new CamError(`the score does not depend on layer "${layer}" (no gradient reached it)`);
      const alpha = Tensor.empty(gpu, [n, c], `cam.${method}_weights:alpha`);
      if (method === 'gradcam') runGradcamWeights(gpu, grad.buffer, alpha.buffer, n * c, h * w);
      else runGradcamppWeights(gpu, activations.buffer, grad.buffer, alpha.buffer, n * c, h * w);
      const rows = Tensor.fromData(gpu, Float32Array.from({ length: n }, (_, i) => i), [n], 'cam:rows');
      const maps = Tensor.empty(gpu, [n, h, w], 'cam.weighted_sum:m');
      const shape = { batch: n, channels: c, spatial: h * w };
      runCamWeightedSum(gpu, activations.buffer, alpha.buffer, rows.buffer, maps.buffer, shape, { rowStride: c, cStride: 1, sStride: 0 }, true);
      activations.dispose(); // with its gradient
      return { logits, targets, maps };
    });
  } finally {
    capture.restore();
    params.forEach((p, i) => (p.requiresGrad = requires[i]!));
  }
  const { logits, targets, maps } = out;
  try {
    const [, h, w] = maps.shape as [number, number, number];
    const logitValues = await logits.read();
    const classes = Array.from(await targets.read());
    const values = await maps.read();
    return { method, layer, logits: logitValues, classes, maps, values, height: h, width: w };
  } catch (error) {
    maps.dispose();
    throw error;
  } finally {
    logits.dispose();
    targets.dispose();
  }
}

/** The one-hot seed [N, K] of each image's target logit and the targets [N] (GPU; fixed class or argmax). */
function targetSeed(logits: Tensor, target: number | undefined): { seed: Tensor; targets: Tensor } {
  const [n, k] = logits.shape as [number, number];
  const seed = Tensor.empty(logits.gpu, [n, k], 'cam.target_seed:seed');
  const targets = Tensor.empty(logits.gpu, [n], 'cam.target_seed:targets');
  runCamTargetSeed(logits.gpu, logits.buffer, seed.buffer, targets.buffer, n, k, target);
  return { seed, targets };
}

function featureShape(t: Tensor, layer: string): [number, number, number, number] {
  if (t.shape.length !== 4) {
    throw new CamError(`layer "${layer}" outputs [${t.shape.join(', ')}], not a [N, C, H, W] feature map; pick a convolutional layer`);
  }
  return t.shape as unknown as [number, number, number, number];
}

/**
 * CAM is exact: the map's sum (flatten head) or mean (GAP head) plus the bias must give the logit. A model whose
 * features(x) is not what its head reads (a ReLU between them, say) fails here instead of drawing a wrong map.
 */
function checkAccountsForLogits(
  maps: Float32Array,
  classes: readonly number[],
  logits: Float32Array,
  bias: Float32Array,
  k: number,
  spatial: number,
  reduce: 'sum' | 'mean',
  layer: string,
): void {
  classes.forEach((cls, i) => {
    let sum = 0;
    let magnitude = 0;
    for (let s = 0; s < spatial; s++) {
      sum += maps[i * spatial + s]!;
      magnitude += Math.abs(maps[i * spatial + s]!);
    }
    const total = (reduce === 'sum' ? sum : sum / spatial) + bias[cls]!;
    const logit = logits[i * k + cls]!;
    const scale = (reduce === 'sum' ? magnitude : magnitude / spatial) + Math.abs(bias[cls]!) + Math.abs(logit);
    if (!(Math.abs(total - logit) <= 1e-3 * scale + 1e-5)) {
      throw new CamError(
        `CAM of "${layer}" does not reproduce logit ${cls} of image ${i} (${total} vs ${logit}): the head does not read ` +
          'these features directly; use --method gradcam',
      );
    }
  });
}

