// relu.backward: dx = dy where y > 0, else 0. Uses the saved output y (y > 0 exactly where x > 0), so at x = 0
// the gradient is 0, as in PyTorch.
// Bindings: @0 p: Params; @1 y: array<f32> (read); @2 dy: array<f32> (read); @3 dx: array<f32> (read_write).
// Params: n (elements). Workgroup: WG_X threads, one element each; grid = linearGrid(ceil(n / WG_X)).
struct Params { n: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  dx[i] = select(0.0, dy[i], y[i] > 0.0);
}
