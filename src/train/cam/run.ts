/**
 * CAM over a list of images, batch by batch, yielding each image's result as soon as its batch is done, so a
 * folder of any size runs in the memory of one batch: decode the original, resize it to the model's input, make
 * the raw maps (GPU), upsample them to the input resolution (GPU) for the inside-lung fraction, and to the
 * original resolution (GPU) for the overlay.
 */
import { readFile } from 'node:fs/promises';
import { DataError } from '../../data/data_error.js';
import { resizeBilinear } from '../../data/resize.js';
import { Tensor } from '../../graph/tensor.js';
import { decodeImage, type GrayImage } from '../../io/image.js';
import { runCamUpsample } from '../../kernels/cam_upsample.js';
import type { Classifier } from '../../models/classifier.js';
import type { Gpu } from '../../runtime/gpu.js';
import { toModelInput } from '../input.js';
import { argmax, softmax } from '../run_model.js';
import type { ColormapName } from './colormap.js';
import { lungFraction, normalizeMap } from './energy.js';
import { CamError } from './layers.js';
import { computeCams, type CamMethod, type CamRequest } from './maps.js';
import { grayToRgb, overlayHeatmap, thumbnail, type RgbImage } from './overlay.js';

export interface CamInput {
  file: string;
  /** Lung mask (PNG of the image's size, 255 = lung); gives the inside-lung fraction. */
  mask?: string | null;
}

export interface CamRunOptions extends CamRequest {
  batchSize: number;
  /** Overlay at the original resolution (skipped when false: maps and fractions only). */
  overlay?: boolean;
  colormap?: ColormapName;
  /** Weight of the colour map in the overlay, in [0, 1]; default 0.5. */
  opacity?: number;
  /** Also keep thumbnails (longer side at most this many pixels) of the original and the overlay. */
  thumbnails?: number;
}

export interface CamImageResult<T extends CamInput = CamInput> {
  input: T;
  index: number;
  method: CamMethod;
  layer: string;
  /** The class the map explains. */
  classIndex: number;
  predicted: number;
  logits: Float32Array;
  probabilities: Float32Array;
  /** The raw map at feature resolution (before upsampling and normalisation), row-major. */
  map: Float32Array;
  height: number;
  width: number;
  /** See energy.ts; null without a mask or for a constant map. */
  lungFraction: number | null;
  original: { width: number; height: number };
  overlay: RgbImage | null;
  thumbnails: { original: RgbImage; overlay: RgbImage } | null;
}

export async function* camImages<T extends CamInput>(
  model: Classifier,
  inputs: readonly T[],
  options: CamRunOptions,
): AsyncGenerator<CamImageResult<T>> {
  if (!Number.isInteger(options.batchSize) || options.batchSize <= 0) {
    throw new RangeError(`batch size must be a positive integer, got ${options.batchSize}`);
  }
  const gpu = model.parameters()[0]!.gpu;
  const spec = model.input;
  const k = model.numClasses;
  const colormap = options.colormap ?? 'jet';
  const opacity = options.opacity ?? 0.5;
  for (let start = 0; start < inputs.length; start += options.batchSize) {
    const batch = inputs.slice(start, start + options.batchSize);
    const originals = await Promise.all(batch.map((item) => readGray(item.file)));
    const plane = spec.height * spec.width;
    const gray = new Float32Array(batch.length * plane);
    originals.forEach((image, i) => {
      const resized = resizeBilinear(image, spec.height, spec.width).data;
      for (let p = 0; p < plane; p++) gray[i * plane + p] = resized[p]! / 255;
    });
    const x = Tensor.fromData(gpu, toModelInput(gray, batch.length, spec), [batch.length, spec.channels, spec.height, spec.width], 'cam:x');
    let cams;
    try {
      cams = await computeCams(model, x, options);
    } finally {
      x.dispose();
    }
    const { maps, height, width } = cams;
    try {
      const atInput = await upsample(gpu, maps, batch.length, height, width, spec.height, spec.width);
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i]!;
        const original = originals[i]!;
        const logits = cams.logits.slice(i * k, (i + 1) * k);
        const probabilities = softmax(logits);
        const normalized = normalizeMap(atInput.subarray(i * plane, (i + 1) * plane));
        const lung = item.mask ? await readMask(item.mask, item.file, original, spec.height, spec.width) : null;
        let overlay: RgbImage | null = null;
        if (options.overlay !== false || options.thumbnails) {
          const sameSize = original.height === spec.height && original.width === spec.width;
          const full = sameSize ? normalized : normalizeMap(await upsample(gpu, maps, 1, height, width, original.height, original.width, i));
          overlay = overlayHeatmap(original, full, colormap, opacity);
        }
        yield {
          input: item,
          index: start + i,
          method: cams.method,
          layer: cams.layer,
          classIndex: cams.classes[i]!,
          predicted: argmax(logits),
          logits,
          probabilities,
          map: cams.values.slice(i * height * width, (i + 1) * height * width),
          height,
          width,
          lungFraction: lung ? lungFraction(normalized, lung) : null,
          original: { width: original.width, height: original.height },
          overlay: options.overlay === false ? null : overlay,
          thumbnails:
            options.thumbnails && overlay
              ? { original: thumbnail(grayToRgb(original), options.thumbnails), overlay: thumbnail(overlay, options.thumbnails) }
              : null,
        };
      }
    } finally {
      maps.dispose();
    }
  }
}

async function upsample(
  gpu: Gpu,
  maps: Tensor,
  count: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  first = 0,
): Promise<Float32Array> {
  const y = Tensor.empty(gpu, [count, outH, outW], 'cam.upsample_bilinear:y');
  try {
    runCamUpsample(gpu, maps.buffer, y.buffer, { count, inH, inW, outH, outW, first });
    return await y.read();
  } finally {
    y.dispose();
  }
}

async function readGray(file: string): Promise<GrayImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read image (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return decodeImage(bytes, file);
}

/** The mask as lung weights in [0, 1] at the model's input resolution; it must have its image's size. */
async function readMask(mask: string, file: string, image: GrayImage, height: number, width: number): Promise<Float32Array> {
  const decoded = await readGray(mask);
  if (decoded.width !== image.width || decoded.height !== image.height) {
    throw new CamError(
      `lung mask ${mask} is ${decoded.width}x${decoded.height} but its image ${file} is ${image.width}x${image.height}`,
    );
  }
  return resizeBilinear(decoded, height, width).data.map((v) => Math.min(1, Math.max(0, v / 255)));
}
