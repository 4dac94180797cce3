// adaptive_avgpool2d.forward_1_global: the output size [1, 1] case (global average pooling) for large planes: one
// workgroup per (n, c) plane; each of its WG_X threads sums every WG_X-th element of the plane, then after one
// barrier thread 0 adds the WG_X partial sums in order and writes y = sum / h / w (forward.wgsl's division order; the
// summation order differs). Few threads and one barrier suit lavapipe, where each barrier level costs more than
// the adds it saves.
// Bindings: @0 p: Params; @1 x: array<f32> NCHW [planes, h, w] (read); @2 y: array<f32> [planes, 1, 1] (read_write).
// Params: planes (N*C), h, w, oh, ow (both 1).
// Workgroup: WG_X threads, one plane per workgroup; grid = linearGrid(planes).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x; // uniform across the workgroup, so the early return keeps the barrier uniform
  if (plane >= p.planes) { return; }
  let n = p.h * p.w;
  let base = plane * n;
  var sum = 0.0;
  for (var j = lid; j < n; j += WG_X) {
    sum += x[base + j];
  }
  partial[lid] = sum;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var k = 0u; k < WG_X; k++) {
      total += partial[k];
    }
    y[plane] = total / f32(p.h) / f32(p.w);
  }
}
