// adaptive_avgpool2d.backward_2_planes4: the gradient of a [1, 1] output for small planes, the same values as
// backward_1_global: dx[plane, i] = dy[plane] / h / w. Each thread fills 4 consecutive planes as the HW vec4s they
// make together (aligned, as in forward_2_planes4); HW is an override, so which plane's value each component takes is
// known when the shader compiles. One vec4 store per 4 elements where backward_1_global stores one float at a time.
// (Measured slower under lavapipe: a thread per vec4 of dx, neighbours writing neighbouring vec4s, 2.97 vs 1.89 ms.)
// Bindings: @0 p: Params; @1 dy: array<vec4f> [planes] viewed as vec4s (read); @2 dx: array<vec4f> [planes, h, w]
// viewed as vec4s (read_write).
// Params: planes (a multiple of 4), h, w, oh (= 1), ow (= 1).
// Workgroup: WG_X threads, 4 planes each; override HW = h * w (<= 64); grid = linearGrid(ceil(planes / 4 / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32 }

override WG_X: u32;
override HW: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dx: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (q >= p.planes / 4u) { return; }
  let g = dy[q] / f32(p.h) / f32(p.w); // [k]: plane 4q + k
  for (var i = 0u; i < HW; i++) {
    var v: vec4f;
    for (var l = 0u; l < 4u; l++) { v[l] = g[(4u * i + l) / HW]; }
    dx[q * HW + i] = v;
  }
}
