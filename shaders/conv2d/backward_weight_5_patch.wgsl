// conv2d.backward_weight (variant 5, input patch in workgroup memory): partial sums of the weight gradient, as
//   backward_weight.wgsl, for the shapes forward_7_patch takes (ungrouped, stride 1, dilation 1, few input channels):
//   dw[co, ci, ky, kx] = sum over (n, oy, ox) of dy[n, co, oy, ox] * x[n, ci, oy - padH + ky, ox - padW + kx].
//   A workgroup sums TM output channels over the blocks of TH x TW output pixels of its part. Per block it stages
//   the block's dy for its channels (4 channels to a vec4) and the input patch under it, cin x (TH + kh - 1) x
//   (TW + kw - 1) values through the zero padding, in workgroup memory. Each thread owns 4 channels, one input
//   channel, one kernel row ky and one row of the block, and slides a window of 4 * NV inputs along that row: per
//   pixel one vec4 of dy and one new input for 16 * NV FMAs (one channel a thread did 4 * NV FMAs for the same two
//   loads and the same window shifts). The block's TH rows are then added in workgroup memory, and the row-0
//   threads write their sums (and with BIAS = 1 each channel's sum of dy, the bias gradient, after all the weights);
//   conv2d.sum_partials adds the parts in a fixed order.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] (read);
//   @3 partial: f32 [parts, cout * cin * kh * kw (+ cout with BIAS)] (read_write; each entry written once).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   groups, stride and dilation 1, TM / 4 * cin * kh * TH <= WG_X, cin * patch plane <= MAX_PATCH, and the row sums
//   TM / 4 * cin * kh * (4 * NV + 1) vec4s <= DY_TILE), tilesX (= ceil(ow / TW)), tilesY (= ceil(oh / TH)),
//   tilesPerPart, parts (= ceil(batch * tilesY * tilesX / tilesPerPart)), mBlocks (= ceil(cout / TM)).
// Workgroup: WG_X threads; overrides TM (channels per workgroup: 4, 8 or 16), NV = ceil(kw / 4) (kw <= 16: the vec4s
//   of window and of sums per channel each thread keeps), BIAS (0 or 1).
// Grid: linearGrid(parts * mBlocks), parts fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  tilesX: u32, tilesY: u32, tilesPerPart: u32, parts: u32, mBlocks: u32,
}

const TH = 4u;
const TW = 32u;
// dy's vec4s: rows TW + 1 apart and channel quads 131 apart (the 4 rows end at 130), so that threads of other rows
// and quads start on other banks.
const DY_ROW = 33u;
const DY_QUAD = 131u;
const DY_TILE = 524u; // 4 quads; after the blocks, the row sums
const MAX_PATCH = 1984u; // with the dy tile, under 16 KiB of workgroup memory
override WG_X: u32;
override TM: u32 = 16u;
override NV: u32 = 1u; // ceil(kw / 4): vec4s of taps per kernel row
override BIAS: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

//!include conv2d/padded_input

var<workgroup> dyTile: array<vec4f, DY_TILE>; // [quad * DY_QUAD + r * DY_ROW + c][channel % 4]
var<workgroup> inputs: array<f32, MAX_PATCH>; // [ci * plane + r * rowW + c]

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.parts * p.mBlocks) { return; } // the whole workgroup: barriers stay in uniform flow
  let part = t % p.parts;
  let m0 = (t / p.parts) * TM;
  let blocks = p.tilesX * p.tilesY;
  let tiles = blocks * p.batch;
  // Rows are odd-length: the threads of one channel quad, one per ky, read rows rowW apart on different banks.
  let rowW = (TW + p.kw - 1u) | 1u;
  let plane = (TH + p.kh - 1u) * rowW;
  let slots = (TM / 4u) * p.cin * p.kh; // (quad, ci, ky) per block row
  let slot = lid % slots;
  let r = lid / slots;
  let ky = slot % p.kh;
  let ci = (slot / p.kh) % p.cin;
  let quad = slot / (p.kh * p.cin);
  let owner = r < TH;

  // Channel k's sums of taps 0-3, 4-7, 8-11, 12-15 as named vec4s s<k><v>, not an array: the H100's compiler put
  // arrays indexed in loops in local memory (the one-channel version took 1.8 ms for CNN-X's 9x9 that way).
  var s00 = vec4f(); var s01 = vec4f(); var s02 = vec4f(); var s03 = vec4f();
  var s10 = vec4f(); var s11 = vec4f(); var s12 = vec4f(); var s13 = vec4f();
  var s20 = vec4f(); var s21 = vec4f(); var s22 = vec4f(); var s23 = vec4f();
  var s30 = vec4f(); var s31 = vec4f(); var s32 = vec4f(); var s33 = vec4f();
  var bsum = vec4f();
  for (var i = 0u; i < p.tilesPerPart; i++) {
    let tile = part * p.tilesPerPart + i;
    if (tile >= tiles) { break; }
    let n = tile / blocks;
    let oy0 = ((tile % blocks) / p.tilesX) * TH;
    let ox0 = (tile % p.tilesX) * TW;
    workgroupBarrier(); // the previous block is read
    for (var j = lid; j < TM * TH * TW; j += WG_X) {
      let m = j / (TH * TW);
      let rr = (j / TW) % TH;
      let c = j % TW;
      let co = m0 + m;
      let inside = co < p.cout && oy0 + rr < p.oh && ox0 + c < p.ow;
      let at = ((n * p.cout + co) * p.oh + oy0 + rr) * p.ow + ox0 + c;
      dyTile[(m / 4u) * DY_QUAD + rr * DY_ROW + c][m % 4u] = select(0.0, dy[select(0u, at, inside)], inside);
    }
    for (var j = lid; j < p.cin * plane; j += WG_X) {
      let rr = (j % plane) / rowW;
      let c = j % rowW;
      let xPlane = (n * p.cin + j / plane) * p.h * p.w;
      inputs[j] = xAt(xPlane, i32(oy0 + rr) - i32(p.padH), i32(ox0 + c) - i32(p.padW));
    }
    workgroupBarrier();
    if (owner) {
      let xr = ci * plane + (r + ky) * rowW;
      let dr = quad * DY_QUAD + r * DY_ROW;
      // The window: inputs xr + c .. xr + c + 4 * NV - 1 in v0 .. v3 (taps past kw read past the row, unstored).
      var v0 = window4(xr);
      var v1 = vec4f();
      var v2 = vec4f();
      var v3 = vec4f();
      if (NV > 1u) { v1 = window4(xr + 4u); }
      if (NV > 2u) { v2 = window4(xr + 8u); }
      if (NV > 3u) { v3 = window4(xr + 12u); }
      for (var c = 0u; c < TW; c++) {
        let d = dyTile[dr + c];
        bsum += d;
        s00 += d.x * v0; s10 += d.y * v0; s20 += d.z * v0; s30 += d.w * v0;
        if (NV > 1u) { s01 += d.x * v1; s11 += d.y * v1; s21 += d.z * v1; s31 += d.w * v1; }
        if (NV > 2u) { s02 += d.x * v2; s12 += d.y * v2; s22 += d.z * v2; s32 += d.w * v2; }
        if (NV > 3u) { s03 += d.x * v3; s13 += d.y * v3; s23 += d.z * v3; s33 += d.w * v3; }
        let next = inputs[min(xr + c + 4u * NV, MAX_PATCH - 1u)];
        if (NV == 1u) {
          v0 = vec4f(v0.yzw, next);
        } else if (NV == 2u) {
          v0 = vec4f(v0.yzw, v1.x); v1 = vec4f(v1.yzw, next);
        } else if (NV == 3u) {
          v0 = vec4f(v0.yzw, v1.x); v1 = vec4f(v1.yzw, v2.x); v2 = vec4f(v2.yzw, next);
        } else {
          v0 = vec4f(v0.yzw, v1.x); v1 = vec4f(v1.yzw, v2.x); v2 = vec4f(v2.yzw, v3.x); v3 = vec4f(v3.yzw, next);
        }
      }
    }
  }

  // Rows 1..TH-1 add their sums into row 0's, one row at a time, through dyTile (free once the blocks are read):
  // per slot the dy sums, then 4 * NV vec4s of weights.
  let at = slot * (4u * NV + 1u);
  for (var rr = 1u; rr < TH; rr++) {
    workgroupBarrier();
    if (r == rr) {
      dyTile[at] = bsum;
      dyTile[at + 1u] = s00; dyTile[at + 2u] = s10; dyTile[at + 3u] = s20; dyTile[at + 4u] = s30;
      if (NV > 1u) { dyTile[at + 5u] = s01; dyTile[at + 6u] = s11; dyTile[at + 7u] = s21; dyTile[at + 8u] = s31; }
      if (NV > 2u) { dyTile[at + 9u] = s02; dyTile[at + 10u] = s12; dyTile[at + 11u] = s22; dyTile[at + 12u] = s32; }
      if (NV > 3u) { dyTile[at + 13u] = s03; dyTile[at + 14u] = s13; dyTile[at + 15u] = s23; dyTile[at + 16u] = s33; }
    }
    workgroupBarrier();
    if (r == 0u) {
      bsum += dyTile[at];
      s00 += dyTile[at + 1u]; s10 += dyTile[at + 2u]; s20 += dyTile[at + 3u]; s30 += dyTile[at + 4u];
      if (NV > 1u) { s01 += dyTile[at + 5u]; s11 += dyTile[at + 6u]; s21 += dyTile[at + 7u]; s31 += dyTile[at + 8u]; }
      if (NV > 2u) {
        s02 += dyTile[at + 9u]; s12 += dyTile[at + 10u]; s22 += dyTile[at + 11u]; s32 += dyTile[at + 12u];
      }
      if (NV > 3u) {
        s03 += dyTile[at + 13u]; s13 += dyTile[at + 14u]; s23 += dyTile[at + 15u]; s33 += dyTile[at + 16u];
      }
    }
  }
  if (r != 0u) { return; }
  let co = m0 + quad * 4u;
  storeRow(part, co, ci, ky, s00, s01, s02, s03, bsum.x);
  storeRow(part, co + 1u, ci, ky, s10, s11, s12, s13, bsum.y);
  storeRow(part, co + 2u, ci, ky, s20, s21, s22, s23, bsum.z);
  storeRow(part, co + 3u, ci, ky, s30, s31, s32, s33, bsum.w);
}

// Writes channel co's kernel row ky (taps from the four vec4s) for this part, and its dy sum with BIAS = 1.
fn storeRow(part: u32, co: u32, ci: u32, ky: u32, a: vec4f, b: vec4f, c: vec4f, d: vec4f, db: f32) {
  if (co >= p.cout) { return; }
  let count = p.cout * p.cin * p.kh * p.kw;
  let stride = count + BIAS * p.cout;
  let base = part * stride + ((co * p.cin + ci) * p.kh + ky) * p.kw;
  for (var k = 0u; k < p.kw; k++) {
    partial[base + k] = select(select(d, c, k < 12u), select(b, a, k < 4u), k < 8u)[k % 4u];
  }
  if (BIAS == 1u && ci == 0u && ky == 0u) { partial[part * stride + count + co] = db; }
}

// Four patch values from `at` (clamped into the patch: windows past the last row hold taps that are never stored).
fn window4(at: u32) -> vec4f {
  let last = MAX_PATCH - 1u;
  return vec4f(inputs[min(at, last)], inputs[min(at + 1u, last)], inputs[min(at + 2u, last)], inputs[min(at + 3u, last)]);
}
