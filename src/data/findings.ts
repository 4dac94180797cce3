// The radiographic signs that tell the four synthetic classes apart, drawn as extra density inside the lungs:
//   normal    - clear lungs;
//   bacterial - lobar consolidation: one dense, fairly sharp-bordered region filling part of one lobe;
//   viral     - interstitial pattern: many thin linear opacities in both lungs, densest around the hila;
//   covid     - ground-glass opacity: soft patchy haze along the outer, lower parts of both lungs.
// Each abnormal image draws a severity, so mild cases overlap normal ones and the task is not trivial.
import type { CanonicalClass } from './class_names.js';
import { fractalNoise, smoothstep, valueNoise } from './noise_field.js';
import { drawStreaks, ellipse, type Point, type Streak, type Thorax } from './phantom.js';
import { gaussian, type Rng } from './prng.js';
import { createPlane, type Plane } from './raster.js';

/** Extra density for the class's finding, already confined to the lungs by `coverage`. */
export function renderFinding(cls: CanonicalClass, thorax: Thorax, coverage: Plane, rng: Rng): Plane {
  const size = thorax.placement.size;
  const finding = createPlane(size, size);
  if (cls === 'normal') return finding;
  const severity = 0.2 + 0.8 * rng.next();
  if (cls === 'bacterial') consolidation(finding, thorax, coverage, severity, rng);
  else if (cls === 'viral') interstitial(finding, thorax, coverage, severity, rng);
  else groundGlass(finding, thorax, coverage, severity, rng);
  for (let i = 0; i < finding.data.length; i++) finding.data[i] *= coverage.data[i];
  return finding;
}

/**
 * Lobar consolidation: an irregular dense region filling part of one lobe of one lung, mottled inside, with dark
 * branching air bronchograms, cut straight along the fissure that bounds the lobe (the sharp edge that marks
 * a lobar process).
 */
function consolidation(out: Plane, thorax: Thorax, coverage: Plane, severity: number, rng: Rng): void {
  const side = rng.next() < 0.5 ? -1 : 1;
  const lobe = LOBES[rng.nextInt(side < 0 ? 3 : 2)]; // only the patient's right lung (image left) has a middle lobe
  const fissure = lobe.fissure + 0.06 * (rng.next() - 0.5);
  // A few overlapping lumps around the lobe's centre, reaching out to the lung border, which then clips them.
  const lumps = Array.from({ length: 3 }, (): Point => [
    side * (lobe.u + 0.16 * (rng.next() - 0.5)),
    lobe.v + 0.16 * (rng.next() - 0.5),
  ]);
  const reach = 0.16 + 0.1 * severity;
  const outline = valueNoise(rng, 14);
  const mottle = valueNoise(rng, 24);
  const density = 0.14 + 0.32 * severity;
  paint(out, thorax, coverage, (u, v) => {
    if (Math.sign(u) !== side) return 0;
    let lump = -Infinity;
    for (const [cu, cv] of lumps) lump = Math.max(lump, 1 - ((u - cu) ** 2 + (v - cv) ** 2) / (reach * reach));
    const shape = smoothstep(-0.1, 0.1, lump + 0.5 * outline(u, v));
    // Signed distance beyond the fissure, positive on the lobe's side; the border there is nearly a step.
    const inside = lobe.below ? v - fissure : fissure - v;
    return density * shape * smoothstep(-0.01, 0.01, inside) * (0.8 + 0.2 * mottle(u, v));
  });
  const centre = lumps[0];
  const bronchi: Streak[] = [];
  const hilum: Point = [side * 0.18, -0.08];
  for (let k = 0; k < 3; k++) {
    const [u, v] = [centre[0] + 0.08 * (rng.next() - 0.5), centre[1] + 0.08 * (rng.next() - 0.5)];
    const toward = Math.atan2(hilum[1] - v, hilum[0] - u) + 0.5 * (rng.next() - 0.5);
    bronchi.push({ from: [u, v], to: [u + 0.12 * Math.cos(toward), v + 0.12 * Math.sin(toward)], radius: 0.007, density: 1 });
  }
  const air = createPlane(out.width, out.height);
  drawStreaks(air, thorax.placement, bronchi);
  for (let i = 0; i < out.data.length; i++) out.data[i] *= 1 - 0.35 * air.data[i];
}

// Where each lobe sits in one lung (|u| of its centre), and the fissure line bounding it (v).
const LOBES = [
  { u: 0.45, v: -0.42, fissure: -0.18, below: false }, // upper lobe, above the horizontal fissure
  { u: 0.5, v: 0.25, fissure: 0.02, below: true }, // lower lobe
  { u: 0.4, v: 0.08, fissure: -0.14, below: true }, // right middle lobe, below the horizontal fissure
];

/** Interstitial pattern: short thin streaks scattered over both lungs, more of them near the hila. */
function interstitial(out: Plane, thorax: Thorax, coverage: Plane, severity: number, rng: Rng): void {
  const streaks: Streak[] = [];
  const count = Math.round(40 + 120 * severity);
  for (let k = 0; k < count; k++) {
    const side = k % 2 === 0 ? -1 : 1;
    // Distance from the hilum: biased towards it, but reaching the periphery.
    const reach = 0.08 + 0.55 * Math.pow(rng.next(), 1.4);
    const angle = (side < 0 ? Math.PI : 0) + side * (-1.3 + 2.6 * rng.next());
    const u = side * 0.18 + reach * Math.cos(angle);
    const v = -0.08 + 1.2 * reach * Math.sin(angle);
    // Mostly radial, some criss-crossing (reticular).
    const direction = angle + (rng.next() < 0.6 ? 0.3 * gaussian(rng) : Math.PI * rng.next());
    const length = 0.04 + 0.08 * rng.next();
    streaks.push({
      from: [u, v],
      to: [u + length * Math.cos(direction), v + length * Math.sin(direction)],
      radius: 0.008 + 0.006 * rng.next(),
      density: (0.05 + 0.06 * rng.next()) * (0.4 + 0.7 * severity),
    });
  }
  drawStreaks(out, thorax.placement, streaks);
  // A faint perihilar haze comes with the streaks; it is what survives downsampling to small inputs.
  const haze = 0.05 * severity;
  paint(out, thorax, coverage, (u, v) => {
    const near = Math.max(ellipse(u + 0.2, v + 0.05, 0.45, 0.55, 0.5), ellipse(u - 0.22, v + 0.05, 0.45, 0.55, 0.5));
    return haze * near;
  }, 'add');
}

/** Ground glass: a soft patchy haze hugging the lateral, lower lung zones of both sides. */
function groundGlass(out: Plane, thorax: Thorax, coverage: Plane, severity: number, rng: Rng): void {
  const patches = fractalNoise(rng, 5);
  const sides = [0.6 + 0.4 * rng.next(), 0.6 + 0.4 * rng.next()];
  const density = 0.1 + 0.22 * severity;
  paint(out, thorax, coverage, (u, v) => {
    const lateral = smoothstep(0.3, 0.68, Math.abs(u));
    const lower = smoothstep(-0.25, 0.25, v);
    const patchy = smoothstep(-0.35, 0.35, patches(u, v) + 0.25 * severity);
    return density * sides[u < 0 ? 0 : 1] * lateral * lower * patchy;
  });
}

/** Evaluates a canonical-coordinate field at the lung pixels' centres and writes (or adds) it into the plane. */
function paint(out: Plane, thorax: Thorax, coverage: Plane, field: (u: number, v: number) => number, mode: 'max' | 'add' = 'max'): void {
  const size = thorax.placement.size;
  const grid = thorax.placement.pixelGrid();
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      if (coverage.data[i] === 0) continue; // the finding is confined to the lungs anyway
      const value = field(grid.u0 + grid.ux * x + grid.uy * y, grid.v0 + grid.vx * x + grid.vy * y);
      out.data[i] = mode === 'add' ? out.data[i] + value : Math.max(out.data[i], value);
    }
  }
}
