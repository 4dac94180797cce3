// conv2d.backward_weight (variant 5, input patch in workgroup memory): partial sums of the weight gradient, as
//   backward_weight.wgsl, for the shapes forward_7_patch takes (ungrouped, stride 1, dilation 1, few input channels):
//   dw[co, ci, ky, kx] = sum over (n, oy, ox) of dy[n, co, oy, ox] * x[n, ci, oy - padH + ky, ox - padW + kx].
//   A workgroup sums TM output channels over the blocks of TH x TW output pixels of its part. Per block it stages
//   the block's dy for its channels and the input patch under it, cin x (TH + kh - 1) x (TW + kw - 1) values through
//   the zero padding, in workgroup memory; each thread owns one (channel, ci, ky) row of the kernel and slides a
//   window of 4 * NV inputs along each output row, loading one dy and one new input per pixel for 4 * NV FMAs.
//   It writes its rows' sums (and with BIAS = 1 each channel's sum of dy, the bias gradient, after all the weights);
//   conv2d.sum_partials adds the parts in a fixed order.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] (read);
//   @3 partial: f32 [parts, cout * cin * kh * kw (+ cout with BIAS)] (read_write; each entry written once).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   groups, stride and dilation 1, cin * kh <= WG_X, cin * patch plane <= MAX_PATCH), tilesX (= ceil(ow / TW)),
//   tilesY (= ceil(oh / TH)), tilesPerPart, parts (= ceil(batch * tilesY * tilesX / tilesPerPart)), mBlocks
//   (= ceil(cout / TM)).
// Workgroup: WG_X threads (>= TM * cin * kh); overrides TM (channels per workgroup, <= 16), NV = ceil(kw / 4) (kw <=
//   16: the vec4s of window and sums each thread keeps), BIAS (0 or 1).
// Grid: linearGrid(parts * mBlocks), parts fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  tilesX: u32, tilesY: u32, tilesPerPart: u32, parts: u32, mBlocks: u32,
}

const TH = 4u;
const TW = 32u;
// Channels' dy rows start 129 values apart (1 mod 32): threads of different channels read different banks.
const DY_STRIDE = 129u;
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

var<workgroup> dyTile: array<f32, 16u * DY_STRIDE>; // [m * DY_STRIDE + r * TW + c]
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
  // Rows are odd-length: the threads of one channel, one per ky, read rows rowW apart on different banks.
  let rowW = (TW + p.kw - 1u) | 1u;
  let plane = (TH + p.kh - 1u) * rowW;
  let ky = lid % p.kh;
  let ci = (lid / p.kh) % p.cin;
  let m = lid / (p.kh * p.cin);
  let owner = m < TM && m0 + m < p.cout;

  // The row's sums of taps 0-3, 4-7, 8-11, 12-15 as named vec4s, not an array: the H100's compiler put arrays
  // indexed in loops in local memory (this kernel took 1.8 ms for CNN-X's 9x9, 4.5x 'subgroup').
  var s0 = vec4f();
  var s1 = vec4f();
  var s2 = vec4f();
  var s3 = vec4f();
  var bsum = 0.0;
  for (var i = 0u; i < p.tilesPerPart; i++) {
    let tile = part * p.tilesPerPart + i;
    if (tile >= tiles) { break; }
    let n = tile / blocks;
    let oy0 = ((tile % blocks) / p.tilesX) * TH;
    let ox0 = (tile % p.tilesX) * TW;
    workgroupBarrier(); // the previous block is read
    for (var j = lid; j < TM * TH * TW; j += WG_X) {
      let r = (j / TW) % TH;
      let c = j % TW;
      let co = m0 + j / (TH * TW);
      let inside = co < p.cout && oy0 + r < p.oh && ox0 + c < p.ow;
      let at = ((n * p.cout + co) * p.oh + oy0 + r) * p.ow + ox0 + c;
      dyTile[(j / (TH * TW)) * DY_STRIDE + j % (TH * TW)] = select(0.0, dy[select(0u, at, inside)], inside);
    }
    for (var j = lid; j < p.cin * plane; j += WG_X) {
      let r = (j % plane) / rowW;
      let c = j % rowW;
      let xPlane = (n * p.cin + j / plane) * p.h * p.w;
      inputs[j] = xAt(xPlane, i32(oy0 + r) - i32(p.padH), i32(ox0 + c) - i32(p.padW));
    }
    workgroupBarrier();
    if (owner) {
      for (var r = 0u; r < TH; r++) {
        let xr = ci * plane + (r + ky) * rowW;
        let dr = m * DY_STRIDE + r * TW;
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
          s0 += d * v0;
          if (NV > 1u) { s1 += d * v1; }
          if (NV > 2u) { s2 += d * v2; }
          if (NV > 3u) { s3 += d * v3; }
          bsum += d;
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
  }
  if (!owner) { return; }
  let count = p.cout * p.cin * p.kh * p.kw;
  let stride = count + BIAS * p.cout;
  let co = m0 + m;
  let base = part * stride + ((co * p.cin + ci) * p.kh + ky) * p.kw;
  for (var k = 0u; k < p.kw; k++) {
    partial[base + k] = select(select(s3, s2, k < 12u), select(s1, s0, k < 4u), k < 8u)[k % 4u];
  }
  if (BIAS == 1u && ci == 0u && ky == 0u) { partial[part * stride + count + co] = bsum; }
}

// Four patch values from `at` (clamped into the patch: windows past the last row hold taps that are never stored).
fn window4(at: u32) -> vec4f {
  let last = MAX_PATCH - 1u;
  return vec4f(inputs[min(at, last)], inputs[min(at + 1u, last)], inputs[min(at + 2u, last)], inputs[min(at + 3u, last)]);
}
