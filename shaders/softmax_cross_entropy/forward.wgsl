// softmax_cross_entropy.forward: loss = mean over rows i of (logsumexp(x[i, :]) - x[i, label_i]), fused with the
// softmax probs[i, :] = exp(x[i, :] - logsumexp(x[i, :])) that the backward pass needs. Numerically stable: the
// row maximum is subtracted before exp, so exp never overflows and the sum is at least 1. One workgroup: thread t
// takes rows t, t + WG_X, ... (a row's C classes in a loop), then the per-thread losses are added by a fixed-order
// tree in workgroup memory (deterministic). A label that is not an integer in [0, C) makes the loss NaN.
// Bindings: @0 p: Params; @1 x: array<f32> (read): logits [n, c] row-major; @2 labels: array<f32> (read): [n],
// class indices stored as f32; @3 probs: array<f32> (read_write): [n, c]; @4 loss: array<f32> (read_write): [1].
// Params: n (rows), c (classes), nanBits (0x7fc00000: a NaN WGSL cannot write as a literal).
// Workgroup: WG_X threads (a power of two); grid = 1.
struct Params { n: u32, c: u32, nanBits: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;

var<workgroup> partial: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < p.n; i += WG_X) {
    let row = i * p.c;
    var mx = x[row];
    for (var j = 1u; j < p.c; j++) { mx = max(mx, x[row + j]); }
    var se = 0.0;
    for (var j = 0u; j < p.c; j++) { se += exp(x[row + j] - mx); }
    for (var j = 0u; j < p.c; j++) { probs[row + j] = exp(x[row + j] - mx) / se; }
    let label = labels[i];
    let valid = label >= 0.0 && label < f32(p.c) && label == floor(label);
    let picked = x[row + min(u32(max(label, 0.0)), p.c - 1u)];
    sum += select(bitcast<f32>(p.nanBits), mx + log(se) - picked, valid);
  }
  partial[lid] = sum;
  workgroupBarrier();
  for (var stride = WG_X / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { loss[0] = partial[0] / f32(p.n); }
}
