// The body of conv2d's forward_7_patch passes (included by forward_7_patch and forward_7_patch_stats, which say
// what it computes): the block's input patch and weights staged per input channel, 16 named vec4 accumulators.
// Declares Params and the block's constants; needs bindings p, x, w, b, y; and
// fn out(inside: bool, at: u32, ox: u32, co: u32, v: vec4f), called for every channel of the block: channel co of
// the thread's 4 pixels from column ox, v without the bias; `at` is channel 0's first pixel in y; inside says
// whether the thread's row is in y; and fn finish(lid: u32, n: u32, block: u32, m0: u32), called by every thread
// after the outs (so it may hold barriers). Overrides KH, KW: the kernel's size (p.kh, p.kw), constants so that
// the tap loops can unroll.

//!include conv2d/padded_input

override KH: u32;
override KW: u32;

struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  hasBias: u32, mBlocks: u32, tilesX: u32, tilesY: u32,
}

const TH = 16u;
const TW = 32u;
const WG = 128u; // TH * TW / 4
const MAX_K = 16u;
const MAX_TAPS = 121u;
// Patch rows are padded to 1 mod 4 values: the 8 threads of a row read 4 apart, so rows 1, 2 and 3 below start on
// the other banks and a warp's 4 rows x 8 threads read 32 different banks.
const MAX_PATCH_W = 49u; // TW + MAX_K - 1 = 47, padded to 1 mod 4
const TM = 16u; // output channels per workgroup (fewer are computed as zeros and not stored)
var<workgroup> inputs: array<f32, (TH + MAX_K - 1u) * MAX_PATCH_W>; // [r * patchW + c]
var<workgroup> taps: array<vec4f, MAX_TAPS * 4u>; // [tap * 4 + m / 4][m % 4]

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  let blocks = p.tilesX * p.tilesY;
  if (t >= blocks * p.batch * p.mBlocks) { return; } // the whole workgroup: barriers stay in uniform flow
  let block = t % blocks;
  let n = (t / blocks) % p.batch;
  let m0 = (t / (blocks * p.batch)) * TM;
  let oy0 = (block / p.tilesX) * TH;
  let ox0 = (block % p.tilesX) * TW;
  let ty = lid / (TW / 4u);
  let tx = (lid % (TW / 4u)) * 4u;
  let kTaps = KH * KW;
  let patchW = TW + KW - 1u + (6u - KW % 4u) % 4u; // TW + kw - 1, padded to 1 mod 4
  let patchSize = (TH + KH - 1u) * patchW;

  // Sixteen named accumulators, not an array: the H100's compiler put an array indexed in loops in local memory
  // (this kernel took 1.3 ms for CNN-X's 9x9, slower than one thread per output).
  var a0 = vec4f(); var a1 = vec4f(); var a2 = vec4f(); var a3 = vec4f();
  var a4 = vec4f(); var a5 = vec4f(); var a6 = vec4f(); var a7 = vec4f();
  var a8 = vec4f(); var a9 = vec4f(); var a10 = vec4f(); var a11 = vec4f();
  var a12 = vec4f(); var a13 = vec4f(); var a14 = vec4f(); var a15 = vec4f();
  for (var ci = 0u; ci < p.cin; ci++) {
    workgroupBarrier(); // the previous channel's patch and taps are read
    let plane = (n * p.cin + ci) * p.h * p.w;
    for (var i = lid; i < patchSize; i += WG) {
      let r = i / patchW;
      let c = i % patchW;
      inputs[i] = xAt(plane, i32(oy0 + r) - i32(p.padH), i32(ox0 + c) - i32(p.padW));
    }
    for (var i = lid; i < TM * kTaps; i += WG) {
      let m = i / kTaps; // taps fastest: neighbouring threads load neighbouring weights
      let tap = i % kTaps;
      let co = m0 + m;
      taps[tap * 4u + m / 4u][m % 4u] = select(0.0, w[(min(co, p.cout - 1u) * p.cin + ci) * kTaps + tap], co < p.cout);
    }
    workgroupBarrier();
    for (var ky = 0u; ky < KH; ky++) {
      let row = (ty + ky) * patchW + tx;
      var win = vec4f(inputs[row], inputs[row + 1u], inputs[row + 2u], inputs[row + 3u]);
      for (var kx = 0u; kx < KW; kx++) {
        if (kx > 0u) { win = vec4f(win.yzw, inputs[row + kx + 3u]); }
        let tap = (ky * KW + kx) * 4u;
        let w0 = taps[tap];
        let w1 = taps[tap + 1u];
        let w2 = taps[tap + 2u];
        let w3 = taps[tap + 3u];
        a0 += w0.x * win; a1 += w0.y * win; a2 += w0.z * win; a3 += w0.w * win;
        a4 += w1.x * win; a5 += w1.y * win; a6 += w1.z * win; a7 += w1.w * win;
        a8 += w2.x * win; a9 += w2.y * win; a10 += w2.z * win; a11 += w2.w * win;
        a12 += w3.x * win; a13 += w3.y * win; a14 += w3.z * win; a15 += w3.w * win;
      }
    }
  }
  let oy = oy0 + ty;
  let ox = ox0 + tx;
  let inside = oy < p.oh;
  let at = (n * p.cout * p.oh + min(oy, p.oh - 1u)) * p.ow + ox; // channel 0 of the thread's first pixel
  out(inside, at, ox, m0, a0); out(inside, at, ox, m0 + 1u, a1);
  out(inside, at, ox, m0 + 2u, a2); out(inside, at, ox, m0 + 3u, a3);
  out(inside, at, ox, m0 + 4u, a4); out(inside, at, ox, m0 + 5u, a5);
  out(inside, at, ox, m0 + 6u, a6); out(inside, at, ox, m0 + 7u, a7);
  out(inside, at, ox, m0 + 8u, a8); out(inside, at, ox, m0 + 9u, a9);
  out(inside, at, ox, m0 + 10u, a10); out(inside, at, ox, m0 + 11u, a11);
  out(inside, at, ox, m0 + 12u, a12); out(inside, at, ox, m0 + 13u, a13);
  out(inside, at, ox, m0 + 14u, a14); out(inside, at, ox, m0 + 15u, a15);
  finish(lid, n, block, m0);
}

// Writes channel co of the thread's 4 pixels from column ox (those inside y) plus the bias, and returns them.
fn store(inside: bool, at: u32, ox: u32, co: u32, v: vec4f) -> vec4f {
  let r = v + select(0.0, b[co], p.hasBias == 1u);
  let base = at + co * p.oh * p.ow;
  if (inside) {
    if (ox < p.ow) { y[base] = r.x; }
    if (ox + 1u < p.ow) { y[base + 1u] = r.y; }
    if (ox + 2u < p.ow) { y[base + 2u] = r.z; }
    if (ox + 3u < p.ow) { y[base + 3u] = r.w; }
  }
  return r;
}
