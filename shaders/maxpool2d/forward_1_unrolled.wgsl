// maxpool2d.forward_1_unrolled: as forward.wgsl (same windows, same tie and NaN rules: the FIRST maximum in
// row-major window order wins, a NaN always wins, padding never does), laid out for lavapipe: each 16-wide workgroup
// takes a chunk of one plane's outputs, each thread loops over `items` of them, and the KH x KW window taps are
// unrolled (override constants), so no inner loop or u32 division runs per output.
// Bindings: @0 p: Params; @1 x: array<f32> NCHW [planes, h, w] (read); @2 y: array<f32> [N, cy, oh, ow], this
// pool's channels at [offset, offset + c) (read_write); @3 idx: array<u32> [planes, oh, ow] (read_write),
// iy * w + ix of each maximum; @4 stats: array<f32> [5, C]
// (read), batchnorm2d's rows mean, var, invstd, scale, beta (read only when BN_RELU = 1); @5 sums: array<vec2f>
// [planes, oh, ow] (read_write; written only when SUMS = 1: see batchnorm2d/backward_reduce_windows.wgsl).
// Params: planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, c, cy, offset (as forward.wgsl), items (outputs
// per thread), blocks (chunks per plane), groups (= planes * blocks). Needs oh * ow < 2^22 (quot in
// pool2d/quotient.wgsl).
// Workgroup: WG_X threads; grid = linearGrid(groups); override constants KH = kh, KW = kw.
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32, items: u32, blocks: u32, groups: u32 }

override WG_X: u32;
override KH: u32;
override KW: u32;
// 1: pool relu(batchnorm2d(x)), normalised per tap from batchnorm2d's stats rows, so the normalised map is never
// written (concat_pool2d with a fused batch norm); 0: pool x.
override BN_RELU: u32 = 0u;
// 1 (with BN_RELU): record per window what batch norm's backward reduce needs (batchnorm2d/backward_reduce_windows).
override SUMS: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> idx: array<u32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> sums: array<vec2f>;

//!include pool2d/bn_relu_tap
//!include pool2d/is_nan
//!include pool2d/quotient
//!include pool2d/slot

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.blocks;
  let per = p.oh * p.ow;
  let first = (g - plane * p.blocks) * p.items * WG_X;
  let end = min(first + p.items * WG_X, per);
  let xBase = plane * p.h * p.w;
  let yBase = yPlane(plane) * per;
  let idxBase = plane * per;
  setPlane(plane);
  let invOw = 1.0 / f32(p.ow);
  var negInfBits = 0xff800000u; // a var, since WGSL rejects an infinite constant
  for (var q = first + lid; q < end; q += WG_X) {
    let oy = quot(q, invOw);
    let ox = q - oy * p.ow;
    let y0 = i32(oy * p.sh) - i32(p.ph);
    let x0 = i32(ox * p.sw) - i32(p.pw);
    var best = bitcast<f32>(negInfBits);
    var at = 0xffffffffu;
    for (var ky = 0u; ky < KH; ky++) {
      let iy = y0 + i32(ky * p.dh);
      for (var kx = 0u; kx < KW; kx++) {
        let ix = x0 + i32(kx * p.dw);
        if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
          let j = u32(iy) * p.w + u32(ix);
          let v = tap(xBase + j);
          if (at == 0xffffffffu || v > best || isNan(v)) {
            best = v;
            at = j;
          }
        }
      }
    }
    y[yBase + q] = best;
    idx[idxBase + q] = at;
    // The one tap whose gradient the window passes back, if its ReLU kept it.
    if (SUMS == 1u) { sums[idxBase + q] = select(vec2f(0.0), vec2f(1.0, x[xBase + at] - bn.x), best > 0.0); }
  }
}
