/**
 * Heat map over an image: out = (1 - opacity) * gray + opacity * colour(map), per RGB channel, at the image's own
 * resolution (the map is upsampled to it first). Also the box-filtered thumbnails the HTML report inlines.
 */
import type { GrayImage } from '../../io/image.js';
import { applyColormap, type ColormapName } from './colormap.js';

/** Interleaved 8-bit RGB pixels. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Blends the normalised map (null: a constant map, drawn as the image alone) over a gray image in [0, 255]. */
export function overlayHeatmap(
  image: GrayImage,
  normalized: Float32Array | null,
  colormap: ColormapName,
  opacity: number,
): RgbImage {
  const { width, height } = image;
  const n = width * height;
  if (normalized && normalized.length !== n) {
    throw new RangeError(`heat map of ${normalized.length} pixels does not fit a ${width}x${height} image`);
  }
  if (!(opacity >= 0 && opacity <= 1)) throw new RangeError(`opacity must be in [0, 1], got ${opacity}`);
  const colours = normalized ? applyColormap(normalized, colormap) : null;
  const alpha = colours ? opacity : 0;
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const gray = Math.min(255, Math.max(0, image.data[p]!));
    for (let c = 0; c < 3; c++) {
      const colour = colours ? colours[p * 3 + c]! : 0;
      data[p * 3 + c] = Math.round((1 - alpha) * gray + alpha * colour);
    }
  }
  return { width, height, data };
}

/** The gray image as RGB (for side-by-side figures). */
export function grayToRgb(image: GrayImage): RgbImage {
  const data = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++) {
    const v = Math.round(Math.min(255, Math.max(0, image.data[p]!)));
    data[p * 3] = data[p * 3 + 1] = data[p * 3 + 2] = v;
  }
  return { width: image.width, height: image.height, data };
}

/** Shrinks by the smallest whole factor that brings the longer side to at most maxSide, averaging f x f blocks. */
export function thumbnail(image: RgbImage, maxSide: number): RgbImage {
  const f = Math.max(1, Math.ceil(Math.max(image.width, image.height) / maxSide));
  if (f === 1) return image;
  const width = Math.floor(image.width / f);
  const height = Math.floor(image.height / f);
  const data = new Uint8Array(width * height * 3);
  const inv = 1 / (f * f);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < f; dy++) {
          const row = ((y * f + dy) * image.width + x * f) * 3 + c;
          for (let dx = 0; dx < f; dx++) sum += image.data[row + dx * 3]!;
        }
        data[(y * width + x) * 3 + c] = Math.round(sum * inv);
      }
    }
  }
  return { width, height, data };
}
