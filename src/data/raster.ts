// Drawing primitives on float pixel planes for the synthetic radiographs: anti-aliased strokes and rings,
// polygon fill, box blur. Pixel (x, y) covers [x, x+1) x [y, y+1); its centre is (x + 0.5, y + 0.5).

/** A row-major single-channel float image. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

export function createPlane(width: number, height: number): Plane {
  return { width, height, data: new Float32Array(width * height) };
}

/** Inclusive pixel bounds of what a primitive touched, for reporting where a drawing landed. */
export interface PixelBounds {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Draws the segment (x0,y0)-(x1,y1) with round caps and the given radius in pixels, keeping at each pixel the
 * larger of what is there and value * coverage (coverage ramps over one pixel at the edge, for anti-aliasing).
 */
export function strokeMax(
  plane: Plane,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  radius: number,
  value: number,
  bounds?: PixelBounds,
): void {
  const reach = radius + 0.5;
  const left = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
  const right = Math.min(plane.width - 1, Math.ceil(Math.max(x0, x1) + reach));
  const top = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
  const bottom = Math.min(plane.height - 1, Math.ceil(Math.max(y0, y1) + reach));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const lengthSq = dx * dx + dy * dy;
  for (let y = top; y <= bottom; y++) {
    const py = y + 0.5;
    for (let x = left; x <= right; x++) {
      const px = x + 0.5;
      const t = lengthSq > 0 ? Math.min(1, Math.max(0, ((px - x0) * dx + (py - y0) * dy) / lengthSq)) : 0;
      const ex = px - (x0 + t * dx);
      const ey = py - (y0 + t * dy);
      const coverage = Math.min(1, reach - Math.sqrt(ex * ex + ey * ey));
      if (coverage <= 0) continue;
      const i = y * plane.width + x;
      const v = value * coverage;
      if (v > plane.data[i]) plane.data[i] = v;
      if (bounds) extend(bounds, x, y);
    }
  }
}

/** A circle outline of the given radius and line half-width, max-composited like strokeMax. */
export function ringMax(
  plane: Plane,
  cx: number,
  cy: number,
  radius: number,
  halfWidth: number,
  value: number,
  bounds?: PixelBounds,
): void {
  const reach = radius + halfWidth + 0.5;
  const left = Math.max(0, Math.floor(cx - reach));
  const right = Math.min(plane.width - 1, Math.ceil(cx + reach));
  const top = Math.max(0, Math.floor(cy - reach));
  const bottom = Math.min(plane.height - 1, Math.ceil(cy + reach));
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const d = Math.abs(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - radius);
      const coverage = Math.min(1, halfWidth + 0.5 - d);
      if (coverage <= 0) continue;
      const i = y * plane.width + x;
      const v = value * coverage;
      if (v > plane.data[i]) plane.data[i] = v;
      if (bounds) extend(bounds, x, y);
    }
  }
}

/** 1 for pixels whose centre lies inside the polygon (even-odd rule), else 0. */
export function fillPolygon(points: readonly (readonly [number, number])[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const crossings: number[] = [];
  const ys = points.map((p) => p[1]);
  const firstRow = Math.max(0, Math.floor(Math.min(...ys)));
  const lastRow = Math.min(height - 1, Math.ceil(Math.max(...ys)));
  for (let y = firstRow; y <= lastRow; y++) {
    const py = y + 0.5;
    crossings.length = 0;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xa, ya] = points[j];
      const [xb, yb] = points[i];
      if (ya <= py !== yb <= py) crossings.push(xa + ((py - ya) / (yb - ya)) * (xb - xa));
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
      const to = Math.min(width - 1, Math.ceil(crossings[k + 1] - 0.5) - 1);
      for (let x = from; x <= to; x++) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/** Separable box blur of radius r (window 2r + 1), edges clamped; two passes approximate a Gaussian. */
export function boxBlur(plane: Plane, radius: number, passes = 2): Plane {
  if (radius <= 0) return plane;
  const { width, height } = plane;
  const data = Float32Array.from(plane.data);
  const scratch = new Float32Array(data.length);
  for (let pass = 0; pass < passes; pass++) {
    blurLines(data, scratch, height, width, width, 1, radius); // rows
    blurLines(scratch, data, width, height, 1, width, radius); // columns
  }
  return { width, height, data };
}

/** Blurs `count` lines of `length` samples; line k starts at k * lineStride and steps by step. */
function blurLines(
  src: Float32Array,
  dst: Float32Array,
  count: number,
  length: number,
  lineStride: number,
  step: number,
  radius: number,
): void {
  const norm = 1 / (2 * radius + 1);
  const last = length - 1;
  for (let line = 0; line < count; line++) {
    const base = line * lineStride;
    let sum = 0;
    for (let k = -radius; k <= radius; k++) sum += src[base + Math.min(last, Math.max(0, k)) * step];
    for (let k = 0; k < length; k++) {
      dst[base + k * step] = sum * norm;
      const enter = Math.min(last, k + radius + 1);
      const leave = Math.max(0, k - radius);
      sum += src[base + enter * step] - src[base + leave * step];
    }
  }
}

function extend(bounds: PixelBounds, x: number, y: number): void {
  if (x < bounds.x0) bounds.x0 = x;
  if (y < bounds.y0) bounds.y0 = y;
  if (x > bounds.x1) bounds.x1 = x;
  if (y > bounds.y1) bounds.y1 = y;
}
