// adam.step: one torch.optim.Adam update of one parameter buffer, in place (PyTorch 1.13 single-tensor order):
//   g = dw + weightDecay * w                     (L2 penalty added to the gradient; Adam, not AdamW)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   w = w - stepSize * m / (sqrt(v) / bc2Sqrt + eps)
// with stepSize = lr / (1 - beta1^t) and bc2Sqrt = sqrt(1 - beta2^t) computed on the host from the step count t.
// w, m and v are overwritten (not accumulated); dw is only read.
// Bindings: @0 p: Params; @1 w: array<f32> (read_write); @2 dw: array<f32> (read); @3 m: array<f32> (read_write);
// @4 v: array<f32> (read_write); all four have the parameter's layout. (adam/step_1_vec4: the same as vec4s.)
// Params: n (elements), stepSize, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, bc2Sqrt (the
// 1 - beta terms come from the host in f64 and round once, as PyTorch's scalar arguments do).
// Workgroup: WG_X threads, one element each; grid = linearGrid(ceil(n / WG_X)).
alias AdamT = f32;
//!include adam/step_body
