// fill.forward: y[i] = bitcast<f32>(p.bits) for i < n. Used for zeros, ones and NaN poison (bits 0x7fc00000).
// Bindings: @0 p: Params (uniform); @1 y: array<f32> (read_write), any layout.
// Params: n (elements), bits (the f32 value's bit pattern, so NaN survives the uniform).
// Workgroup: WG_X threads, one element each; grid = linearGrid(ceil(n / WG_X)).
struct Params { n: u32, bits: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  y[i] = bitcast<f32>(p.bits);
}
