// cam.gradcam_weights: Grad-CAM's channel weights (Selvaraju et al.), the spatial mean of the score's gradient,
// alpha[n, c] = sum_s g[n, c, s] / S.
// One workgroup per (n, c) plane: threads take s = lid, lid + WG_X, ..., then a tree reduction in workgroup memory.
// Bindings: @0 p: Params; @1 g: array<f32> [N, C, S] (read, d score / d activations, NCHW with S = H*W);
// @2 alpha: array<f32> [N, C] (read_write, overwritten).
// Params: planes (N*C), spatial (S).
// Workgroup: WG_X threads (a power of two); grid = linearGrid(planes) workgroups.
struct Params { planes: u32, spatial: u32 }

override WG_X: u32 = 64u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> alpha: array<f32>;

var<workgroup> partial: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x; // uniform across the workgroup, so the early return keeps barriers uniform
  if (plane >= p.planes) { return; }
  let base = plane * p.spatial;
  var sum = 0.0;
  for (var s = lid; s < p.spatial; s += WG_X) {
    sum += g[base + s];
  }
  partial[lid] = sum;
  for (var k = WG_X / 2u; k > 0u; k /= 2u) {
    workgroupBarrier();
    if (lid < k) { partial[lid] += partial[lid + k]; }
  }
  if (lid == 0u) { alpha[plane] = partial[0] / f32(p.spatial); }
}
