// softmax_cross_entropy.softmax: probs[i, :] = softmax(x[i, :]) for prediction (no loss, no gradient). Stable:
// the row maximum is subtracted before exp.
// Bindings: @0 p: Params; @1 x: array<f32> (read): logits [n, c] row-major; @2 probs: array<f32> (read_write):
// [n, c]. Params: n (rows), c (classes). Workgroup: WG_X threads, one row each (its classes in a loop);
// grid = linearGrid(ceil(n / WG_X)).
struct Params { n: u32, c: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  let row = i * p.c;
  var mx = x[row];
  for (var j = 1u; j < p.c; j++) { mx = max(mx, x[row + j]); }
  var se = 0.0;
  for (var j = 0u; j < p.c; j++) { se += exp(x[row + j] - mx); }
  for (var j = 0u; j < p.c; j++) { probs[row + j] = exp(x[row + j] - mx) / se; }
}
