// A frontal (PA) chest radiograph phantom: anatomy drawn as a density map (more density = brighter film),
// with the lung fields as explicit outlines so the generator can also write exact lung masks.
//
// Canonical body coordinates: u runs left to right across the image (the patient's right lung is on the
// image's left), v runs top to bottom, and the thorax fills about [-1, 1]^2. A Placement maps them to pixels,
// which is where per-image shift, rotation and scale come in.
import { smoothstep, valueNoise, type NoiseField } from './noise_field.js';
import { gaussian, type Rng } from './prng.js';
import { boxBlur, createPlane, fillPolygon, strokeMax, type Plane } from './raster.js';
import { resizeBilinear } from './resize.js';

export type Point = readonly [number, number];

/** Canonical <-> pixel mapping: pixel = centre + scale * R(angle) * (u, v) * size / 2. */
export class Placement {
  private readonly cos: number;
  private readonly sin: number;
  private readonly half: number;

  constructor(
    readonly size: number,
    readonly scale: number,
    readonly angle: number,
    readonly centreX: number,
    readonly centreY: number,
  ) {
    this.cos = Math.cos(angle);
    this.sin = Math.sin(angle);
    this.half = (size / 2) * scale;
  }

  toPixel(u: number, v: number): Point {
    return [this.centreX + this.half * (this.cos * u - this.sin * v), this.centreY + this.half * (this.sin * u + this.cos * v)];
  }

  toCanonical(x: number, y: number): Point {
    const dx = (x - this.centreX) / this.half;
    const dy = (y - this.centreY) / this.half;
    return [this.cos * dx + this.sin * dy, -this.sin * dx + this.cos * dy];
  }

  /**
   * Canonical coordinates of pixel centres as affine functions of the pixel indices, for per-pixel loops:
   * u = u0 + ux * x + uy * y and v = v0 + vx * x + vy * y.
   */
  pixelGrid(): { u0: number; ux: number; uy: number; v0: number; vx: number; vy: number } {
    const [u0, v0] = this.toCanonical(0.5, 0.5);
    const [u1, v1] = this.toCanonical(1.5, 0.5);
    const [u2, v2] = this.toCanonical(0.5, 1.5);
    return { u0, ux: u1 - u0, uy: u2 - u0, v0, vx: v1 - v0, vy: v2 - v0 };
  }

  /** The same placement on an image of another size (the body keeps its place relative to the frame). */
  resized(size: number): Placement {
    const f = size / this.size;
    return new Placement(size, this.scale, this.angle, this.centreX * f, this.centreY * f);
  }

  /** Canonical length to pixels. */
  pixels(length: number): number {
    return length * this.half;
  }
}

/** A vessel (or any thin opacity) as a canonical segment with a radius and a peak density. */
export interface Streak {
  from: Point;
  to: Point;
  radius: number;
  density: number;
}

/** One patient's anatomy, drawn from an Rng by sampleThorax. */
export interface Thorax {
  placement: Placement;
  /** Outlines of the image-left (patient's right) and image-right lung, canonical, closed. */
  lungs: [Point[], Point[]];
  bodyWidth: number;
  heart: { u: number; v: number; ru: number; rv: number };
  ribTop: number;
  ribSpacing: number;
  /** How much the lungs' air darkens them, 0..1 of the soft tissue density. */
  airDepth: number;
  gastricBubble: boolean;
  vessels: Streak[];
  texture: NoiseField;
}

// Control points of the image-left lung: apex, down the outer border, along the diaphragm dome (indices 6..9),
// then up the medial border.
const RIGHT_LUNG: Point[] = [
  [-0.3, -0.76],
  [-0.48, -0.68],
  [-0.63, -0.47],
  [-0.73, -0.16],
  [-0.79, 0.17],
  [-0.82, 0.44],
  [-0.77, 0.52],
  [-0.6, 0.42],
  [-0.41, 0.35],
  [-0.22, 0.38],
  [-0.11, 0.45],
  [-0.12, 0.2],
  [-0.15, -0.04],
  [-0.11, -0.4],
  [-0.17, -0.7],
];

// The image-right lung mirrors it, with the heart pushing its lower medial border outwards and a lower dome.
const LEFT_LUNG: Point[] = [
  [0.3, -0.74],
  [0.48, -0.66],
  [0.63, -0.45],
  [0.73, -0.14],
  [0.8, 0.2],
  [0.83, 0.48],
  [0.78, 0.56],
  [0.62, 0.47],
  [0.5, 0.43],
  [0.44, 0.45],
  [0.38, 0.44],
  [0.3, 0.2],
  [0.2, -0.06],
  [0.14, -0.36],
  [0.17, -0.68],
];
const DOME = [6, 7, 8, 9];

const RIB_COUNT = 10;
const HILA: Point[] = [
  [-0.17, -0.08],
  [0.19, -0.1],
];

/** Draws one patient: placement, lung shapes, heart size, rib spacing, lung darkness and vessels. */
export function sampleThorax(rng: Rng, size: number): Thorax {
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const placement = new Placement(
    size,
    uniform(0.9, 1.04),
    uniform(-0.05, 0.05),
    size / 2 + uniform(-0.035, 0.035) * size,
    size / 2 + uniform(-0.03, 0.04) * size,
  );
  const lungScale = uniform(0.92, 1.06);
  const lungs: [Point[], Point[]] = [
    lungOutline(RIGHT_LUNG, rng, lungScale, uniform(-0.05, 0.04)),
    lungOutline(LEFT_LUNG, rng, lungScale, uniform(-0.04, 0.05)),
  ];
  const heartScale = uniform(0.9, 1.12);
  return {
    placement,
    lungs,
    bodyWidth: uniform(0.95, 1.1),
    heart: { u: 0.1 + uniform(-0.02, 0.03), v: 0.25, ru: 0.25 * heartScale, rv: 0.22 * heartScale },
    ribTop: uniform(-0.84, -0.78),
    ribSpacing: uniform(0.118, 0.132),
    airDepth: uniform(0.5, 0.64),
    gastricBubble: rng.next() < 0.7,
    vessels: sampleVessels(rng),
    texture: valueNoise(rng, 8),
  };
}

/** Jitters, scales and lifts or lowers the dome of a template outline, then smooths it into a polygon. */
function lungOutline(template: Point[], rng: Rng, scale: number, domeShift: number): Point[] {
  const cu = template.reduce((s, p) => s + p[0], 0) / template.length;
  const cv = template.reduce((s, p) => s + p[1], 0) / template.length;
  const points = template.map(([u, v], i): Point => {
    const lift = DOME.includes(i) ? domeShift : 0;
    return [cu + (u - cu) * scale + 0.012 * gaussian(rng), cv + (v - cv) * scale + lift + 0.012 * gaussian(rng)];
  });
  return catmullRom(points, 5);
}

/** A closed Catmull-Rom spline through the points, `steps` vertices per span. */
function catmullRom(points: Point[], steps: number): Point[] {
  const n = points.length;
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const [p0, p1, p2, p3] = [points[(i + n - 1) % n], points[i], points[(i + 1) % n], points[(i + 2) % n]];
    for (let s = 0; s < steps; s++) {
      const t = s / steps;
      const t2 = t * t;
      const t3 = t2 * t;
      const blend = (a: number, b: number, c: number, d: number) =>
        0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (3 * b - a - 3 * c + d) * t3);
      out.push([blend(p0[0], p1[0], p2[0], p3[0]), blend(p0[1], p1[1], p2[1], p3[1])]);
    }
  }
  return out;
}

/** Pulmonary vessels: branching lines fanning out from each hilum, thinning and fading towards the periphery. */
function sampleVessels(rng: Rng): Streak[] {
  const vessels: Streak[] = [];
  HILA.forEach(([hu, hv], side) => {
    const outward = side === 0 ? Math.PI : 0;
    const count = 9 + rng.nextInt(5);
    for (let k = 0; k < count; k++) {
      // Fan from up-and-out to down-and-out; more vessels go to the lower zones, as in a real lung.
      const spread = -1.25 + 2.6 * ((k + rng.next()) / count);
      let angle = side === 0 ? outward - spread : outward + spread;
      let [u, v] = [hu, hv];
      let radius = 0.013 + 0.004 * rng.next();
      let density = 0.1 + 0.05 * rng.next();
      const segments = 4 + rng.nextInt(3);
      for (let s = 0; s < segments; s++) {
        const length = 0.06 + 0.05 * rng.next();
        const next: Point = [u + length * Math.cos(angle), v + length * Math.sin(angle)];
        vessels.push({ from: [u, v], to: next, radius, density });
        if (rng.next() < 0.35) {
          const branch = angle + (rng.next() < 0.5 ? -1 : 1) * (0.4 + 0.3 * rng.next());
          const end: Point = [next[0] + 0.7 * length * Math.cos(branch), next[1] + 0.7 * length * Math.sin(branch)];
          vessels.push({ from: next, to: end, radius: radius * 0.7, density: density * 0.7 });
        }
        [u, v] = next;
        angle += 0.25 * gaussian(rng);
        radius *= 0.78;
        density *= 0.78;
      }
    }
  });
  return vessels;
}

/** 1 inside either lung, 0 elsewhere, in pixels. */
export function lungMask(thorax: Thorax): Uint8Array {
  const size = thorax.placement.size;
  const mask = new Uint8Array(size * size);
  for (const outline of thorax.lungs) {
    const pixels = outline.map(([u, v]) => thorax.placement.toPixel(u, v));
    const filled = fillPolygon(pixels, size, size);
    for (let i = 0; i < mask.length; i++) mask[i] |= filled[i];
  }
  return mask;
}

/** The lung mask softened over about a pixel at 224 px: lung borders on a film are sharp but not aliased. */
export function lungCoverage(mask: Uint8Array, size: number): Plane {
  const plane = createPlane(size, size);
  for (let i = 0; i < mask.length; i++) plane.data[i] = mask[i];
  return boxBlur(plane, Math.max(1, Math.round(size / 224)), 1);
}

/** Draws streaks (canonical) into a plane, max-composited. */
export function drawStreaks(plane: Plane, placement: Placement, streaks: readonly Streak[]): void {
  for (const s of streaks) {
    const [x0, y0] = placement.toPixel(s.from[0], s.from[1]);
    const [x1, y1] = placement.toPixel(s.to[0], s.to[1]);
    strokeMax(plane, x0, y0, x1, y1, Math.max(0.35, placement.pixels(s.radius)), s.density);
  }
}

/**
 * The density map of the anatomy (about 0 for air outside the body, about 1 for soft tissue, up to about 1.3
 * over the spine and heart). Lungs subtract density where `coverage` is 1; vessels show only inside them.
 */
export function renderAnatomy(thorax: Thorax, coverage: Plane): Plane {
  const { placement } = thorax;
  const size = placement.size;
  // Everything but the lungs varies slowly, so it is drawn at half resolution and upsampled: 4x fewer
  // evaluations, while lung borders and vessels, the sharp parts, stay at full resolution.
  const half = Math.ceil(size / 2);
  const body = resizeBilinear(renderBody(thorax, placement.resized(half)), size, size);
  const density = createPlane(size, size);
  const vessels = createPlane(size, size);
  drawStreaks(vessels, placement, thorax.vessels);
  const grid = placement.pixelGrid();
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const lung = coverage.data[i];
      let d = body.data[i];
      if (lung > 0) {
        // Air in the lungs; the lower zones sit behind more soft tissue (breasts, diaphragm slope).
        const v = grid.v0 + grid.vx * x + grid.vy * y;
        d += lung * (vessels.data[i] - thorax.airDepth * (1 - 0.3 * smoothstep(0.0, 0.55, v)));
      }
      density.data[i] = Math.max(0, d);
    }
  }
  return density;
}

/** Soft tissue, heart, hila, bones, trachea and gastric air: the anatomy outside the lung fields. */
function renderBody(thorax: Thorax, placement: Placement): Plane {
  const { heart } = thorax;
  const size = placement.size;
  const body = createPlane(size, size);
  const grid = placement.pixelGrid();
  const [[ru, rv], [lu, lv]] = HILA;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = grid.u0 + grid.ux * x + grid.uy * y;
      const v = grid.v0 + grid.vx * x + grid.vy * y;
      const au = Math.abs(u);
      let d = softTissue(au, v, thorax.bodyWidth);
      if (d === 0) continue; // air outside the body
      d *= 1 + 0.04 * thorax.texture(u, v);
      d += 0.07 * ellipse(u - heart.u, v - heart.v, heart.ru, heart.rv, 0.3);
      d += 0.08 * (ellipse(u - ru, v - rv, 0.07, 0.1, 0.3) + ellipse(u - lu, v - lv, 0.07, 0.1, 0.3));
      d += spine(au, v);
      d += 0.08 * posteriorRibs(au, v, thorax.ribTop, thorax.ribSpacing);
      d += 0.05 * anteriorRibs(au, v, thorax.ribTop + 0.18, thorax.ribSpacing * 1.3);
      d += 0.22 * clavicle(au, v);
      d += 0.2 * humeralHead(au, v);
      if (au < 0.05 && v < -0.3) d -= 0.2 * smoothstep(0.05, 0.03, au) * smoothstep(-0.3, -0.42, v); // trachea
      if (thorax.gastricBubble) d -= 0.18 * ellipse(u - 0.46, v - 0.62, 0.09, 0.05, 0.25);
      body.data[y * size + x] = d;
    }
  }
  return body;
}

/** Thickness of soft tissue: neck, shoulders, then the chest wall, nearly flat with a soft edge. */
function softTissue(au: number, v: number, bodyWidth: number): number {
  const chest = 0.05 * Math.max(0, 1 - ((v - 0.05) / 0.8) ** 2); // the rib cage bulges the sides at mid-chest
  const half = bodyWidth * (0.3 + (0.62 + chest) * smoothstep(-1.05, -0.6, v) + 0.04 * smoothstep(-0.6, 1, v));
  // A soft skin line: thickness falls steeply over the outer few percent instead of stopping dead.
  const q = au / half;
  return q >= 1.04 ? 0 : 0.08 * smoothstep(1.04, 0.98, q) + 0.92 * Math.sqrt(Math.max(0, 1 - q * q));
}

/** Spine: a bright column with darker disc spaces every vertebra. */
function spine(au: number, v: number): number {
  if (au > 0.1) return 0;
  const column = smoothstep(0.1, 0.05, au);
  const phase = (((v + 1) / 0.105) % 1 + 1) % 1;
  const disc = smoothstep(0.0, 0.12, phase) * smoothstep(0.3, 0.18, phase);
  return column * (0.12 - 0.04 * (1 - disc));
}

/** Posterior ribs: arcs from the spine outwards and down, brighter at their cortical edges. */
function posteriorRibs(au: number, v: number, top: number, spacing: number): number {
  const t = (au - 0.06) / 0.8;
  if (t < 0 || t > 1) return 0;
  const curve = -0.28 * t * (1 - t) + 0.32 * t * t; // 4t(1 - t) stands in for sin(pi t), at a fraction of the cost
  // Rib k's centre line is top + k * spacing + curve * (1 + 0.06 k): linear in k, so the nearest rib is direct.
  const k = Math.round((v - top - curve) / (spacing + 0.06 * curve));
  if (k < 0 || k >= RIB_COUNT) return 0;
  const centre = top + k * spacing + curve * (1 + 0.06 * k);
  return ribProfile(Math.abs(v - centre) / (0.026 + 0.003 * k)) * smoothstep(1, 0.8, t);
}

/** Anterior ribs: fainter bands running from the lateral chest wall down and in towards the sternum. */
function anteriorRibs(au: number, v: number, top: number, spacing: number): number {
  const t = (au - 0.15) / 0.7;
  if (t < 0 || t > 1) return 0;
  const curve = 0.22 * (1 - t) * (1 - t) - 0.05 * t;
  const k = Math.round((v - top - curve) / spacing);
  if (k < 0 || k >= RIB_COUNT - 4) return 0;
  return ribProfile(Math.abs(v - (top + k * spacing + curve)) / 0.022) * smoothstep(0, 0.25, t);
}

/** Cross-section of a rib at normalised distance p from its centre line: cortex brighter than marrow. */
function ribProfile(p: number): number {
  return p >= 1 ? 0 : (0.55 + 0.45 * p * p * p * p) * smoothstep(1, 0.8, p);
}

/** Humeral heads in the upper outer corners, when the field of view reaches them. */
function humeralHead(au: number, v: number): number {
  return ellipse(au - 1.0, v + 0.78, 0.15, 0.17, 0.1);
}

/** Clavicles: S-shaped bars from the sternum up and out to the shoulders. */
function clavicle(au: number, v: number): number {
  const t = (au - 0.05) / 0.6;
  if (t < 0 || t > 1) return 0;
  const centre = -0.66 - 0.15 * t + 0.2 * t * (1 - t);
  const halfWidth = 0.034 - 0.01 * t;
  const p = Math.abs(v - centre) / halfWidth;
  return p >= 1 ? 0 : (0.7 + 0.3 * p * p) * smoothstep(1, 0.75, p);
}

/** 1 inside the axis-aligned ellipse, falling to 0 over `edge` (in units of the normalised radius). */
export function ellipse(du: number, dv: number, ru: number, rv: number, edge: number): number {
  if (Math.abs(du) >= ru * (1 + edge) || Math.abs(dv) >= rv * (1 + edge)) return 0;
  const r = Math.sqrt((du / ru) ** 2 + (dv / rv) ** 2);
  return smoothstep(1 + edge, 1 - edge, r);
}
