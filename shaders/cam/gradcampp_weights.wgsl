// cam.gradcampp_weights: Grad-CAM++'s channel weights (Chattopadhyay et al.) in the closed form for an exp-free
// score, as pytorch-grad-cam computes them:
//   a[s] = g^2 / (2 g^2 + sum_s'(A[s']) g^3 + 1e-6), and 0 where g == 0;
//   weight[n, c] = sum_s a[s] * max(g[s], 0),
// with g = g[n, c, s] the score's gradient and A the activations of the plane.
// One workgroup per (n, c) plane: a first tree reduction gives sum_s A, a second one the weight.
// Bindings: @0 p: Params; @1 a: array<f32> [N, C, S] (read, activations, NCHW with S = H*W); @2 g: array<f32>
// [N, C, S] (read, d score / d activations); @3 alpha: array<f32> [N, C] (read_write, overwritten).
// Params: planes (N*C), spatial (S).
// Workgroup: WG_X threads (a power of two); grid = linearGrid(planes) workgroups.
struct Params { planes: u32, spatial: u32 }

const EPS = 1e-6;

override WG_X: u32 = 64u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> alpha: array<f32>;

var<workgroup> partial: array<f32, WG_X>;

fn reduce(lid: u32) -> f32 {
  for (var k = WG_X / 2u; k > 0u; k /= 2u) {
    workgroupBarrier();
    if (lid < k) { partial[lid] += partial[lid + k]; }
  }
  workgroupBarrier();
  let total = partial[0];
  workgroupBarrier(); // every thread has read the total before partial is written again
  return total;
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x; // uniform across the workgroup, so the early return keeps barriers uniform
  if (plane >= p.planes) { return; }
  let base = plane * p.spatial;
  var sumA = 0.0;
  for (var s = lid; s < p.spatial; s += WG_X) {
    sumA += a[base + s];
  }
  partial[lid] = sumA;
  sumA = reduce(lid);

  var sum = 0.0;
  for (var s = lid; s < p.spatial; s += WG_X) {
    let gs = g[base + s];
    let g2 = gs * gs;
    let coef = select(0.0, g2 / (2.0 * g2 + sumA * g2 * gs + EPS), gs != 0.0);
    sum += coef * max(gs, 0.0);
  }
  partial[lid] = sum;
  let weight = reduce(lid);
  if (lid == 0u) { alpha[plane] = weight; }
}
