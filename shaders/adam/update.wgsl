// One element's torch.optim.Adam update (included by adam/step and adam/step_4 and their vec4 variants; the formula is
// in step.wgsl's header), for elements of type AdamT: f32, or vec4f for four at once (the includer's alias). Needs
// Params fields stepSize, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, bc2Sqrt.

struct AdamResult { w: AdamT, m: AdamT, v: AdamT }

// The new w, m and v from w, its gradient and its moments.
fn adamUpdate(w: AdamT, dw: AdamT, m: AdamT, v: AdamT) -> AdamResult {
  var g = dw;
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  let mi = p.beta1 * m + p.oneMinusBeta1 * g;
  let vi = p.beta2 * v + p.oneMinusBeta2 * g * g;
  let denom = sqrt(vi) / p.bc2Sqrt + p.eps;
  return AdamResult(w - p.stepSize * (mi / denom), mi, vi);
}
