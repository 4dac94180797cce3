// maxpool2d.forward_2_blocked: as forward_1_unrolled.wgsl (same windows, same tie and NaN rules: the FIRST maximum in
// row-major window order wins, a NaN always wins, padding never does), for overlapping windows: each item is a block
// of 2 x 2 outputs whose windows share rows and columns, so the thread loads the block's input patch once, (SHD + KH)
// x (SWD + KW) taps in units of the dilation, instead of 4 * KH * KW (ResNet's stem, 3x3 stride 2: 25 loads for 4
// outputs instead of 36; under lavapipe loads are what a pool spends its time on).
// Bindings: as forward_1_unrolled.wgsl (@1 x, @2 y in its channel slot, @3 idx, @4 stats with BN_RELU = 1).
// Params: as forward_1_unrolled.wgsl, items and blocks counting 2 x 2 blocks (ceil(oh / 2) * ceil(ow / 2) per plane).
// Needs stride a multiple of dilation in both directions and ceil(oh/2) * ceil(ow/2) < 2^22.
// Workgroup: WG_X threads; grid = linearGrid(groups); override constants KH, KW, SHD = sh / dh, SWD = sw / dw,
// (SHD + KH) * (SWD + KW) <= 64.
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32, items: u32, blocks: u32, groups: u32 }

override WG_X: u32;
override KH: u32;
override KW: u32;
override SHD: u32;
override SWD: u32;
override BN_RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> idx: array<u32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;

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
  let bw = (p.ow + 1u) / 2u;
  let per = ((p.oh + 1u) / 2u) * bw;
  let first = (g - plane * p.blocks) * p.items * WG_X;
  let end = min(first + p.items * WG_X, per);
  let xBase = plane * p.h * p.w;
  let yBase = yPlane(plane) * p.oh * p.ow;
  let idxBase = plane * p.oh * p.ow;
  setPlane(plane);
  let invBw = 1.0 / f32(bw);
  var negInfBits = 0xff800000u;
  // The patch: row a, column b holds x at (y0 + a * dh, x0 + b * dw); output (i, j) of the block reads its tap
  // (ky, kx) at a = i * SHD + ky, b = j * SWD + kx.
  var taps: array<f32, 64>;
  var inside: array<bool, 64>;
  for (var q = first + lid; q < end; q += WG_X) {
    let by = quot(q, invBw);
    let bx = q - by * bw;
    let y0 = i32(2u * by * p.sh) - i32(p.ph);
    let x0 = i32(2u * bx * p.sw) - i32(p.pw);
    for (var a = 0u; a < SHD + KH; a++) {
      let iy = y0 + i32(a * p.dh);
      for (var b = 0u; b < SWD + KW; b++) {
        let ix = x0 + i32(b * p.dw);
        let ok = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
        inside[a * (SWD + KW) + b] = ok;
        taps[a * (SWD + KW) + b] = tap(xBase + u32(select(0, iy * i32(p.w) + ix, ok)));
      }
    }
    for (var i = 0u; i < 2u; i++) {
      for (var j = 0u; j < 2u; j++) {
        let oy = 2u * by + i;
        let ox = 2u * bx + j;
        var best = bitcast<f32>(negInfBits);
        var at = 0xffffffffu;
        for (var ky = 0u; ky < KH; ky++) {
          for (var kx = 0u; kx < KW; kx++) {
            let t = (i * SHD + ky) * (SWD + KW) + j * SWD + kx;
            let v = taps[t];
            if (inside[t] && (at == 0xffffffffu || v > best || isNan(v))) {
              best = v;
              let iy = u32(y0 + i32((i * SHD + ky) * p.dh));
              let ix = u32(x0 + i32((j * SWD + kx) * p.dw));
              at = iy * p.w + ix;
            }
          }
        }
        if (oy < p.oh && ox < p.ow) {
          y[yBase + oy * p.ow + ox] = best;
          idx[idxBase + oy * p.ow + ox] = at;
        }
      }
    }
  }
}
