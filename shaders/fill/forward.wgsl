// fill.forward: y[i] = bitcast<f32>(p.bits) for every element (zeros, ones, NaN poison with bits 0x7fc00000).
// Bindings: @0 p: Params (uniform); @1 y: array<vec4f> (read_write), any layout, viewed as vec4s.
// Params: n4 (= ceil(elements / 4); the last vec4 may spill into the buffer's unused tail), bits (the f32 value's
// bit pattern, so NaN survives the uniform).
// Workgroup: WG_X threads, one vec4 each; grid = linearGrid(ceil(n4 / WG_X)).
struct Params { n4: u32, bits: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i < p.n4) { y[i] = vec4f(bitcast<f32>(p.bits)); }
}
