// adaptive_avgpool2d.backward (variant 1, global): the gradient of a [1, 1] output, dx[plane, i] = dy[plane] / h / w
// (divided as backward.wgsl divides), one thread per plane filling it. backward.wgsl works out each element's
// windows with several integer divisions (scalar under lavapipe) and ran at 3% of the copy bandwidth on ResNet-50's
// head ([15, 2048, 7, 7]); this runs at about 40%, with one load per plane instead of one per element.
// Bindings: @0 p: Params; @1 dy: array<f32> [planes] (read); @2 dx: array<f32> [planes, h, w] (read_write).
// Params: planes, h, w, oh (= 1), ow (= 1).
// Workgroup: WG_X threads, one plane each; grid = linearGrid(ceil(planes / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (plane >= p.planes) { return; }
  let g = dy[plane] / f32(p.h) / f32(p.w);
  let base = plane * p.h * p.w;
  for (var j = 0u; j < p.h * p.w; j++) { dx[base + j] = g; }
}
