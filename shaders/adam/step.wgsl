// adam.step: one torch.optim.Adam update of one parameter buffer, in place (PyTorch 1.13 single-tensor order):
//   g = dw + weightDecay * w                     (L2 penalty added to the gradient; Adam, not AdamW)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   w = w - stepSize * m / (sqrt(v) / bc2Sqrt + eps)
// with stepSize = lr / (1 - beta1^t) and bc2Sqrt = sqrt(1 - beta2^t) computed on the host from the step count t.
// w, m and v are overwritten (not accumulated); dw is only read.
// Bindings: @0 p: Params; @1 w: array<f32> (read_write); @2 dw: array<f32> (read); @3 m: array<f32> (read_write);
// @4 v: array<f32> (read_write); all four have the parameter's layout.
// Params: n (elements), stepSize, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, bc2Sqrt (the
// 1 - beta terms come from the host in f64 and round once, as PyTorch's scalar arguments do).
// Workgroup: WG_X threads, one element each; grid = linearGrid(ceil(n / WG_X)).
struct Params {
  n: u32,
  stepSize: f32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  eps: f32,
  weightDecay: f32,
  bc2Sqrt: f32,
}

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

//!include adam/update

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  let r = adamUpdate(w[i], dw[i], m[i], v[i]);
  w[i] = r.x;
  m[i] = r.y;
  v[i] = r.z;
}
