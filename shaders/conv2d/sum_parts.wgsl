// The fixed-order sum of one group of partial sums (included by sum_partials and sum_partials_split).
// Needs Params fields count, parts, partsPerGroup and the binding partial: f32 [parts, count].

// Element e of group g's sum: partial[s, e] for s = g*partsPerGroup, ..., min(parts, (g+1)*partsPerGroup) - 1, in order.
fn groupSum(g: u32, e: u32) -> f32 {
  let end = min(p.parts, (g + 1u) * p.partsPerGroup);
  var acc = 0.0;
  for (var s = g * p.partsPerGroup; s < end; s++) { acc += partial[s * p.count + e]; }
  return acc;
}
