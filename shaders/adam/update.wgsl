// One element's torch.optim.Adam update (included by adam/step and adam/step_4; the formula is in step.wgsl's
// header). Needs Params fields stepSize, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, bc2Sqrt.

// (new w, new m, new v) from w, its gradient and its moments.
fn adamUpdate(w: f32, dw: f32, m: f32, v: f32) -> vec3f {
  var g = dw;
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  let mi = p.beta1 * m + p.oneMinusBeta1 * g;
  let vi = p.beta2 * v + p.oneMinusBeta2 * g * g;
  let denom = sqrt(vi) / p.bc2Sqrt + p.eps;
  return vec3f(w - p.stepSize * (mi / denom), mi, vi);
}
