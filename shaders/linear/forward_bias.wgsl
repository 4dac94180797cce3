// linear.forward_bias: y[i, j] += b[j], adding the bias to every row of y after the product (accumulates into y).
// Bindings: @0 p: Params; @1 b: array<f32> (read): [m]; @2 y: array<f32> (read_write): [rows, m] row-major.
// Params: n (= rows * m elements), m (output features). Workgroup: WG_X threads, one element each;
// grid = linearGrid(ceil(n / WG_X)).
struct Params { n: u32, m: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  y[i] += b[i % p.m];
}
