// conv2d.forward (variant 7, input patch in workgroup memory): the same result as forward.wgsl for ungrouped convs
//   at stride 1 and dilation 1 with few input channels (CNN-X's 1-channel 3x3, 5x5 and 9x9). There K is a few dozen,
//   so a GEMM's tiles are mostly padding, and forward_2_gemm's threads, each owning a run of 16 pixels, load and
//   store 64 bytes apart: on a hardware GPU every warp's store then touches 32 separate sectors.
//   Each workgroup computes a TH x TW block of output pixels of one image for TM output channels. Per input channel
//   it stages the block's input patch, (TH + kh - 1) x (TW + kw - 1) values through the zero padding, and the TM x
//   kh x kw weights in workgroup memory; each thread then owns 4 neighbouring pixels of one row and slides a window
//   along the kernel row, loading one new input and TM/4 vec4s of weights (the same for every thread: broadcasts)
//   per tap for 4 * TM FMAs. Neighbouring threads own neighbouring pixels, so a warp stores whole 128-byte rows.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 w: OIHW f32 [cout, cin, kh, kw] (read);
//   @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32 [batch, cout, oh, ow] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   groups, stride and dilation 1, kh and kw <= MAX_K, kh * kw <= MAX_TAPS), hasBias, mBlocks (= ceil(cout / TM)),
//   tilesX (= ceil(ow / TW)), tilesY (= ceil(oh / TH)).
// Workgroup: TH * TW / 4 = 128 threads; override TM (output channels per workgroup: 4, 8 or 16).
// Grid: linearGrid(tilesX * tilesY * batch * mBlocks), blocks fastest, then images, then channel blocks.
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
override TM: u32 = 16u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

//!include conv2d/padded_input

var<workgroup> inputs: array<f32, (TH + MAX_K - 1u) * MAX_PATCH_W>; // [r * patchW + c]
var<workgroup> taps: array<vec4f, MAX_TAPS * 4u>; // [tap * TM / 4 + m / 4][m % 4]

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
  let kTaps = p.kh * p.kw;
  let patchW = TW + p.kw - 1u + ((3u + 2u - p.kw % 4u) % 4u); // TW + kw - 1, padded to 1 mod 4
  let patchSize = (TH + p.kh - 1u) * patchW;
  let qs = TM / 4u;

  var acc = array<vec4f, 16>(); // [m]: channel m0 + m at the thread's 4 pixels
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
      taps[tap * qs + m / 4u][m % 4u] = select(0.0, w[(min(co, p.cout - 1u) * p.cin + ci) * kTaps + tap], co < p.cout);
    }
    workgroupBarrier();
    for (var ky = 0u; ky < p.kh; ky++) {
      let row = (ty + ky) * patchW + tx;
      var win = vec4f(inputs[row], inputs[row + 1u], inputs[row + 2u], inputs[row + 3u]);
      for (var kx = 0u; kx < p.kw; kx++) {
        if (kx > 0u) { win = vec4f(win.yzw, inputs[row + kx + 3u]); }
        let tap = (ky * p.kw + kx) * qs;
        for (var q = 0u; q < qs; q++) {
          let wq = taps[tap + q];
          acc[4u * q] += wq.x * win;
          acc[4u * q + 1u] += wq.y * win;
          acc[4u * q + 2u] += wq.z * win;
          acc[4u * q + 3u] += wq.w * win;
        }
      }
    }
  }
  let oy = oy0 + ty;
  let ox = ox0 + tx;
  if (oy >= p.oh) { return; }
  // Constant loop bounds keep acc in registers (a runtime index would move it to memory).
  for (var m = 0u; m < TM; m++) {
    let co = m0 + m;
    if (co >= p.cout) { continue; }
    let r = acc[m] + select(0.0, b[co], p.hasBias == 1u);
    let base = ((n * p.cout + co) * p.oh + oy) * p.ow + ox;
    if (ox < p.ow) { y[base] = r.x; }
    if (ox + 1u < p.ow) { y[base + 1u] = r.y; }
    if (ox + 2u < p.ow) { y[base + 2u] = r.z; }
    if (ox + 3u < p.ow) { y[base + 3u] = r.w; }
  }
}
