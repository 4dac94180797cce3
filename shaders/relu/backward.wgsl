// relu.backward: dx = dy where y > 0, else 0. Uses the saved output y (y > 0 exactly where x > 0), so at x = 0
// the gradient is 0, as in PyTorch.
// Bindings: @0 p: Params; @1 y: array<vec4f> (read); @2 dy: array<vec4f> (read); @3 dx: array<vec4f> (read_write).
// Params: n4 (= ceil(elements / 4)). Workgroup: WG_X threads, one vec4 each; grid = linearGrid(ceil(n4 / WG_X)).
struct Params { n4: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i < p.n4) { dx[i] = select(vec4f(0.0), dy[i], y[i] > vec4f(0.0)); }
}
