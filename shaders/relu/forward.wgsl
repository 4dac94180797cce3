// relu.forward: y = max(x, 0), elementwise.
// Bindings: @0 p: Params; @1 x: array<vec4f> (read); @2 y: array<vec4f> (read_write), same layout as x.
// Params: n4 (= ceil(elements / 4); the last vec4 may spill into the buffer's unused tail).
// Workgroup: WG_X threads, one vec4 each; grid = linearGrid(ceil(n4 / WG_X)).
struct Params { n4: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i < p.n4) { y[i] = max(x[i], vec4f(0.0)); }
}
