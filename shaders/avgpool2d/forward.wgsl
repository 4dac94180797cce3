// avgpool2d.forward: y = (sum of x over each window) / divisor, with PyTorch's divisor rules. Window of output
// (oy, ox): rows [oy*sh - ph, oy*sh - ph + kh), columns likewise. The divisor is divisorOverride when it is not 0;
// else with countIncludePad the window's size clipped to the padded input (padding counts, but not the positions
// past the padded input that ceil mode adds); else the number of real input elements in the window.
// The sum runs in row-major window order, then one division (as PyTorch's CPU kernel).
// Bindings: @0 p: Params; @1 x: array<f32> NCHW [planes, h, w] (read); @2 y: array<f32> [N, cy, oh, ow], this pool's
// channels at [offset, offset + c) (read_write); @3 stats: array<f32> [5, C] (read),
// batchnorm2d's rows mean, var, invstd, scale, beta (read only when BN_RELU = 1).
// Params: planes (N*C), h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw (always 1), c (channels of x), cy, offset (y's
// channels and where this pool's start: a channel concatenation written in place; cy = c, offset = 0 for a plain
// pool), countIncludePad (0 or 1), divisorOverride (i32, 0: none).
// Workgroup: WG_X threads, one output element each; grid = linearGrid(ceil(planes * oh * ow / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32, countIncludePad: u32, divisorOverride: i32 }

override WG_X: u32;
// 1: pool relu(batchnorm2d(x)), normalised per tap from batchnorm2d's stats rows, so the normalised map is never
// written (concat_pool2d with a fused batch norm); 0: pool x.
override BN_RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;

//!include pool2d/bn_relu_tap
//!include avgpool2d/divisor
//!include pool2d/slot

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.planes * p.oh * p.ow) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let plane = i / (p.ow * p.oh);
  let r = span(oy, p.sh, p.ph, p.kh, p.h);
  let c = span(ox, p.sw, p.pw, p.kw, p.w);
  let base = plane * p.h * p.w;
  setPlane(plane);
  var sum = 0.0;
  for (var iy = r.z; iy < r.w; iy++) {
    for (var ix = c.z; ix < c.w; ix++) {
      sum += tap(base + u32(iy) * p.w + u32(ix));
    }
  }
  // A window with no input element (not reachable with padding <= kernel / 2) is 0, as in PyTorch.
  let per = p.oh * p.ow;
  y[yPlane(plane) * per + (i - plane * per)] = select(sum / divisor(r, c), 0.0, r.z >= r.w || c.z >= c.w);
}
