// Shortcut features that real chest X-ray collections carry and that a CNN can learn instead of the disease
// (Majeed et al. 2020 show CAMs landing on an "R" marker and on text): side markers, burned-in text lines and
// ECG electrodes with their leads. All are drawn bright (radiopaque or overlaid) after the anatomy, so the lung
// masks, which come from the anatomy alone, never include them.
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmap_font.js';
import type { Rng } from './prng.js';
import { createPlane, ringMax, strokeMax, type PixelBounds, type Plane } from './raster.js';

export const CONFOUNDER_KINDS = ['marker', 'text', 'ecg'] as const;
export type ConfounderKind = (typeof CONFOUNDER_KINDS)[number];

/** Pixel box of a drawn confounder: left, top, width, height. */
export type Box = [number, number, number, number];

const TEXT_LINES = ['PORTABLE', 'AP SUPINE', 'AP ERECT', 'SEMI-ERECT', 'PA ERECT', 'ICU BED 4', 'MOBILE CXR', 'STAT'];

/** Burns a confounder of the given kind into the image (values in [0, 1]) and returns where it landed. */
export function drawConfounder(kind: ConfounderKind, image: Plane, rng: Rng): Box {
  // Ink is max-composited (bright); shade darkens first, so overlaid text stays legible on bright anatomy.
  const ink = createPlane(image.width, image.height);
  const shade = createPlane(image.width, image.height);
  const bounds: PixelBounds = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  if (kind === 'marker') drawMarker(ink, rng, bounds);
  else if (kind === 'text') drawTextLine(ink, shade, rng, bounds);
  else drawEcgLeads(ink, rng, bounds);
  for (let i = 0; i < image.data.length; i++) image.data[i] = Math.max(image.data[i] * (1 - shade.data[i]), ink.data[i]);
  return [bounds.x0, bounds.y0, bounds.x1 - bounds.x0 + 1, bounds.y1 - bounds.y0 + 1];
}

/** A lead "R" or "L" side marker near a corner, sometimes in a box, about 9% of the image tall. */
function drawMarker(plane: Plane, rng: Rng, bounds: PixelBounds): void {
  const size = plane.width;
  const scale = Math.max(1, Math.round((0.09 * size) / GLYPH_HEIGHT));
  const letter = rng.next() < 0.5 ? 'R' : 'L';
  const [x, y] = cornerPosition(plane, textWidth(letter, scale), GLYPH_HEIGHT * scale, rng, 0.8);
  drawText(plane, letter, x, y, scale, 0.97 + 0.03 * rng.next(), bounds);
  if (rng.next() < 0.4) {
    const pad = 2 * scale;
    const line = Math.max(1, Math.floor(scale / 2));
    const [x0, y0, x1, y1] = [x - pad, y - pad, x + textWidth(letter, scale) + pad, y + GLYPH_HEIGHT * scale + pad];
    for (const [ax, ay, bx, by] of [[x0, y0, x1, y0], [x1, y0, x1, y1], [x1, y1, x0, y1], [x0, y1, x0, y0]]) {
      strokeMax(plane, ax, ay, bx, by, line / 2, 0.95, bounds);
    }
  }
}

/** A short line of burned-in annotation text along the top or bottom edge, white with a dark drop shadow. */
function drawTextLine(ink: Plane, shade: Plane, rng: Rng, bounds: PixelBounds): void {
  const scale = Math.max(1, Math.round(ink.width / 112));
  const text = TEXT_LINES[rng.nextInt(TEXT_LINES.length)];
  const [x, y] = cornerPosition(ink, textWidth(text, scale), GLYPH_HEIGHT * scale, rng, 0.5);
  drawText(shade, text, x + Math.ceil(scale / 2), y + Math.ceil(scale / 2), scale, 0.7, bounds);
  drawText(ink, text, x, y, scale, 0.95 + 0.05 * rng.next(), bounds);
}

/** Two or three ECG electrodes (rings with a central stud) over the shoulders or upper abdomen, leads running off the edge. */
function drawEcgLeads(plane: Plane, rng: Rng, bounds: PixelBounds): void {
  const size = plane.width;
  const spots: [number, number][] = [
    [0.18, 0.14],
    [0.82, 0.14],
    [0.2, 0.86],
    [0.8, 0.86],
  ];
  const count = 2 + rng.nextInt(2);
  for (let k = 0; k < count; k++) {
    const [fx, fy] = spots.splice(rng.nextInt(spots.length), 1)[0];
    const cx = (fx + 0.06 * (rng.next() - 0.5)) * size;
    const cy = (fy + 0.06 * (rng.next() - 0.5)) * size;
    const radius = 0.028 * size;
    ringMax(plane, cx, cy, radius, Math.max(0.6, 0.005 * size), 0.95, bounds);
    ringMax(plane, cx, cy, 0.006 * size, 0.006 * size, 0.95, bounds);
    // The lead leaves the electrode and curves off the nearer side edge.
    const edgeX = fx < 0.5 ? -2 : size + 2;
    const endY = cy + (rng.next() - 0.3) * 0.3 * size;
    const bendX = (cx + edgeX) / 2;
    const bendY = Math.max(cy, endY) + 0.1 * size * rng.next();
    const [sx, sy] = [cx + (edgeX > cx ? radius : -radius), cy];
    let [px, py] = [sx, sy];
    const steps = 16;
    for (let s = 1; s <= steps; s++) {
      const t = s / steps;
      const qx = (1 - t) ** 2 * sx + 2 * t * (1 - t) * bendX + t * t * edgeX;
      const qy = (1 - t) ** 2 * sy + 2 * t * (1 - t) * bendY + t * t * endY;
      strokeMax(plane, px, py, qx, qy, Math.max(0.5, 0.004 * size), 0.85, bounds);
      [px, py] = [qx, qy];
    }
  }
}

/** Top-left corner for a w x h item placed inset from one of the image corners (top corners with probability pTop). */
function cornerPosition(plane: Plane, w: number, h: number, rng: Rng, pTop: number): [number, number] {
  const inset = () => Math.round((0.03 + 0.05 * rng.next()) * plane.width);
  const top = rng.next() < pTop;
  const left = rng.next() < 0.5;
  const x = left ? inset() : plane.width - w - inset();
  const y = top ? inset() : plane.height - h - inset();
  return [x, y];
}
