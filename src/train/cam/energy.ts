/**
 * Normalising a map and measuring where it points.
 *
 * Normalisation: min-max per image on the upsampled map U, M = (U - min U) / (max U - min U), so M spans [0, 1];
 * a constant map has no normalised form (null).
 *
 * Inside-lung fraction (the "energy" of the map inside the lungs): on the map upsampled to the model's input
 * resolution H x W and normalised as above,
 *     fraction = sum_p M(p) * L(p) / sum_p M(p),    p over the H x W pixels,
 * where L is the lung mask scaled to [0, 1] (255 = lung) and resized to H x W with the same bilinear resize as the
 * image (so a pixel on the lung border counts in part). 1 means everything the map highlights lies in the lungs;
 * a map that ignores them scores about the lungs' share of the image or less. Null for a constant map.
 */

/** (v - min) / (max - min) per element, or null when the map is constant (or not finite). */
export function normalizeMap(values: Float32Array): Float32Array | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return null;
  const inv = 1 / (hi - lo);
  return values.map((v) => (v - lo) * inv);
}

/** Share of the normalised map's mass inside the lung weights `lung` (same length, values in [0, 1]). */
export function lungFraction(normalized: Float32Array | null, lung: Float32Array): number | null {
  if (!normalized) return null;
  if (normalized.length !== lung.length) {
    throw new RangeError(`map of ${normalized.length} pixels and lung mask of ${lung.length} pixels differ`);
  }
  let inside = 0;
  let total = 0;
  for (let p = 0; p < normalized.length; p++) {
    inside += normalized[p]! * lung[p]!;
    total += normalized[p]!;
  }
  return total > 0 ? inside / total : null;
}

/** Mean of the known values, or null when there are none. */
export function meanOf(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number');
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}

export interface LungSummary {
  /** Which label groups the images: the true one when every image has one, else the predicted one. */
  groupedBy: 'true' | 'predicted';
  /** Mean inside-lung fraction over every measured image. */
  overall: number | null;
  count: number;
  perClass: { name: string; mean: number | null; count: number }[];
}

/** Means of the inside-lung fractions overall and per class. */
export function summarizeLungFractions(
  items: readonly { fraction: number | null; trueLabel: number | null; predicted: number }[],
  classNames: readonly string[],
): LungSummary {
  const groupedBy = items.length > 0 && items.every((i) => i.trueLabel !== null) ? 'true' : 'predicted';
  const labelOf = (i: (typeof items)[number]): number => (groupedBy === 'true' ? i.trueLabel! : i.predicted);
  const measured = items.filter((i) => i.fraction !== null);
  return {
    groupedBy,
    overall: meanOf(measured.map((i) => i.fraction)),
    count: measured.length,
    perClass: classNames.map((name, c) => {
      const ofClass = measured.filter((i) => labelOf(i) === c);
      return { name, mean: meanOf(ofClass.map((i) => i.fraction)), count: ofClass.length };
    }),
  };
}
