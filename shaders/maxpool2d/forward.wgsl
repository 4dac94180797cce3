// maxpool2d.forward: y = the maximum of x over each window, and idx = where it was (iy * W + ix within its plane),
// which backward routes dy to. Window of output (oy, ox): rows oy*sh - ph + ky*dh (ky < kh), columns likewise;
// taps in the padding are skipped, so padding acts as -inf and is never selected.
// Ties, as PyTorch's CPU and CUDA kernels: scanning the window in row-major order, a value replaces the running
// maximum only if it is strictly greater (the FIRST maximum wins) or if it is NaN (a NaN always wins, so the last
// NaN in the window is kept and y is NaN). A window of only -inf keeps its first in-bounds tap; one with no tap in
// the input (large dilation) gives -inf and an index no input element has.
// Bindings: @0 p: Params; @1 x: array<f32> NCHW [planes, h, w] (read); @2 y: array<f32> [N, cy, oh, ow], this
// pool's channels at [offset, offset + c) (read_write); @3 idx: array<u32> [planes, oh, ow] (read_write); @4
// stats: array<f32> [5, C] (read), batchnorm2d's rows mean, var, invstd, scale, beta (read only when BN_RELU = 1).
// Params: planes (N*C), h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, c (channels of x), cy, offset (y's channels
// and where this pool's start: a channel concatenation written in place; cy = c, offset = 0 for a plain pool).
// Workgroup: WG_X threads, one output element each; grid = linearGrid(ceil(planes * oh * ow / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32 }

override WG_X: u32;
// 1: pool relu(batchnorm2d(x)), normalised per tap from batchnorm2d's stats rows, so the normalised map is never
// written (concat_pool2d with a fused batch norm); 0: pool x.
override BN_RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> idx: array<u32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;

//!include pool2d/bn_relu_tap
//!include pool2d/is_nan
//!include pool2d/slot

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.planes * p.oh * p.ow) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let plane = i / (p.ow * p.oh);
  let y0 = i32(oy * p.sh) - i32(p.ph);
  let x0 = i32(ox * p.sw) - i32(p.pw);
  let base = plane * p.h * p.w;
  setPlane(plane);
  var negInfBits = 0xff800000u; // a var, since WGSL rejects an infinite constant
  var best = bitcast<f32>(negInfBits);
  var at = 0xffffffffu;
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = y0 + i32(ky * p.dh);
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = x0 + i32(kx * p.dw);
      if (ix < 0 || ix >= i32(p.w)) { continue; }
      let j = u32(iy) * p.w + u32(ix);
      let v = tap(base + j);
      if (at == 0xffffffffu || v > best || isNan(v)) {
        best = v;
        at = j;
      }
    }
  }
  y[yPlane(plane) * p.oh * p.ow + (i - plane * p.oh * p.ow)] = best;
  idx[i] = at;
}
