// softmax_cross_entropy.backward: dx[i, j] = (probs[i, j] - (j == label_i)) * dy / n, the gradient of the mean
// loss. dy is the scalar upstream gradient, read from its buffer here (never on the CPU). Overwrites dx.
// Bindings: @0 p: Params; @1 probs: array<f32> (read): [n, c] from the forward pass; @2 labels: array<f32> (read):
// [n]; @3 dy: array<f32> (read): [1]; @4 dx: array<f32> (read_write): [n, c].
// Params: n (rows), c (classes). Workgroup: WG_X threads, one element of dx each;
// grid = linearGrid(ceil(n * c / WG_X)).
struct Params { n: u32, c: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (e >= p.n * p.c) { return; }
  let i = e / p.c;
  let j = e % p.c;
  let onehot = select(0.0, 1.0, labels[i] == f32(j));
  dx[e] = (probs[e] - onehot) * (dy[0] / f32(p.n));
}
