// adaptive_avgpool2d.forward_2_planes4: the output size [1, 1] case (global average pooling) for small planes (ResNet's
// 7 x 7 head), the same values as forward.wgsl bit for bit: each thread sums 4 consecutive planes, reading them as
// the HW vec4s they fill together (4 * HW floats from a multiple of 4, so aligned), and adds each component to its
// plane's sum in row-major order, as forward.wgsl does. HW is an override, so the loop unrolls and which plane a
// component belongs to is known when the shader compiles. Under lavapipe a load instruction costs the same for 1 or
// 4 floats, and one thread per plane made 49 scalar loads per output.
// Bindings: @0 p: Params; @1 x: array<vec4f> NCHW [planes, h, w] viewed as vec4s (read); @2 y: array<vec4f>
// [planes, 1, 1] viewed as vec4s (read_write).
// Params: planes (N*C, a multiple of 4), h, w, oh, ow (both 1).
// Workgroup: WG_X threads, 4 planes each; override HW = h * w (<= 64); grid = linearGrid(ceil(planes / 4 / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32 }

override WG_X: u32;
override HW: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (q >= p.planes / 4u) { return; }
  var sum = vec4f(0.0); // [k]: plane 4q + k
  for (var i = 0u; i < HW; i++) {
    let v = x[q * HW + i];
    for (var l = 0u; l < 4u; l++) {
      let k = (4u * i + l) / HW;
      sum[k] += v[l];
    }
  }
  y[q] = sum / f32(p.h) / f32(p.w);
}
