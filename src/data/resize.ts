// Bilinear resize with PyTorch's F.interpolate(mode='bilinear', align_corners=False, antialias=False)
// semantics, so images fed to a model match what the PyTorch reference pipeline would produce.
import type { GrayImage } from '../io/image.js';

/**
 * Resizes a gray image to height x width. Output pixel centres map back to input coordinates by
 * src = (dst + 0.5) * (in / out) - 0.5 (half-pixel centres), clamped at 0 below and at the last pixel above.
 * Without antialiasing a strong downscale samples the input (aliasing), exactly as PyTorch does.
 * An image already at the requested size is returned as is, not copied.
 */
export function resizeBilinear(image: GrayImage, height: number, width: number): GrayImage {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${height}x${width}`);
  }
  if (image.height === height && image.width === width) return image;

  const rows = axisTaps(image.height, height);
  const cols = axisTaps(image.width, width);
  const src = image.data;
  const inW = image.width;
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const row0 = rows.i0[y] * inW;
    const row1 = rows.i1[y] * inW;
    const wy1 = rows.w1[y];
    const wy0 = 1 - wy1;
    for (let x = 0; x < width; x++) {
      const c0 = cols.i0[x];
      const c1 = cols.i1[x];
      const wx1 = cols.w1[x];
      const wx0 = 1 - wx1;
      out[y * width + x] =
        wy0 * (wx0 * src[row0 + c0] + wx1 * src[row0 + c1]) + wy1 * (wx0 * src[row1 + c0] + wx1 * src[row1 + c1]);
    }
  }
  return { width, height, data: out };
}

/** For each output index along one axis: the two input indices it blends and the weight of the second. */
function axisTaps(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; w1: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float64Array(outSize);
  for (let d = 0; d < outSize; d++) {
    const s = Math.max(0, (d + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(s), inSize - 1);
    i0[d] = lo;
    i1[d] = Math.min(lo + 1, inSize - 1);
    w1[d] = s - lo;
  }
  return { i0, i1, w1 };
}
