enable subgroups;
// conv2d.backward_weight (variant 3, GEMM with subgroup-shared output gradients): partial sums of the weight gradient,
//   as backward_weight.wgsl. Per group, dw [cout/groups, K] = dy [cout/groups, P] * im2col(x)^T [P, K] with
//   P = batch*oh*ow pixels and K = cin/groups*kh*kw weight columns k = (ci*kh + ky)*kw + kx.
//   Each workgroup owns TM output channels of one group and WG_X*TC consecutive columns k, one part of the pixels (a
//   range of output rows (n, oy)); each thread owns TC columns and TM x TC accumulators, each adding the dot product of
//   a dy quad and the inputs under it. All threads of a workgroup walk the same pixels, so per quad of 4 pixels the TM
//   dy rows are the same for every lane: in each block of 8 channels lane j loads channel j's quad and
//   subgroupBroadcast hands it to all lanes (under lavapipe a load costs about as much per lane whether or not the
//   lanes share the address, a broadcast about one FMA; see forward_3_subgroup). Each thread loads its TC columns'
//   inputs under the quad first (zero outside the image) and adds each broadcast channel as it arrives (addDyBlock,
//   dy_broadcast.wgsl), TM x TC dot products: keeping all TM broadcasts live cost lavapipe 13% (ResNet-50's 3x3 at 7 x
//   7, batch 15: 295 -> 257 ms). With SLIDE (= kw: stride and dilation 1 along rows, TC a multiple of kw, so a thread's
//   columns are whole kernel rows) each tap but a row's first takes the previous tap's inputs one pixel on and loads
//   one new value instead of 4: two 3x3 rows a thread (16 x 6), 7 x 7 257 -> 178 ms, 57 x 57 193 -> 116, 15 x 15 241 ->
//   158. At the end the tile is written to partial[part, :]; conv2d.sum_partials adds the parts in a fixed order, so
//   the result is deterministic.
//   With BIAS = 1 the bias gradient db[co] = sum of dy[n, co, oy, ox] comes along: every lane adds up the dy quads it
//   loads for its subgroup, and in the first column block lanes 0-7 of the subgroup holding thread 0 (one lane per
//   channel of each block of 8) write those sums after the weights.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] (read);
//   @3 partial: f32 [parts, cout * cin/groups * kh * kw (+ cout with BIAS)] (read_write; each part writes its own
//   tiles).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups),
//   rowsPerPart (output rows (n, oy) per part), parts (= ceil(batch*oh / rowsPerPart)), mBlocks (= ceil(cout/groups /
//   TM)), kBlocks (= ceil(K / (WG_X*TC))).
// Workgroup: WG_X threads (8 .. 64, a multiple of 8); overrides TM (8 or 16), TC (at most 8), BIAS (0 or 1) and SLIDE
//   (kw or 0), TM * TC <= 96 (16 x 8 as vec4 sums spilled to memory, 9x slower; 16 x 9 as dot products too). Needs
//   subgroups of at least 8 lanes (the caller checks). Every subgroup operation sits in uniform control flow: columns
//   past K and channels past the group's last one work on clamped (valid) addresses and are not stored; pixels past a
//   row's end get dy = 0.
// Grid: linearGrid(parts * kBlocks * mBlocks * groups), parts fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  rowsPerPart: u32, parts: u32, mBlocks: u32, kBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override TC: u32 = 4u;
override BIAS: u32 = 0u;
override SLIDE: u32 = 0u; // kw where each tap's inputs may come from the previous tap's (see above), else 0
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

//!include conv2d/padded_input
//!include conv2d/dy_broadcast

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.parts * p.kBlocks * p.mBlocks * p.groups) { return; }
  let part = t % p.parts;
  let kb = (t / p.parts) % p.kBlocks;
  let mb = (t / (p.parts * p.kBlocks)) % p.mBlocks;
  let g = t / (p.parts * p.kBlocks * p.mBlocks);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let kSize = cinG * p.kh * p.kw;
  let m0 = mb * TM;
  let rows = min(TM, coutG - m0);
  let plane = p.oh * p.ow;

  // This thread's columns k0 .. k0+TC-1 (clamped to the last one): input channel and tap offsets of each.
  let k0 = (kb * WG_X + lid) * TC;
  var chan = array<u32, 8>(); // (g*cinG + ci) * h * w, without the image offset
  var tapY = array<i32, 8>(); // ky*dilH - padH
  var tapX = array<i32, 8>(); // kx*dilW - padW
  for (var c = 0u; c < TC; c++) {
    let k = min(k0 + c, kSize - 1u);
    let kx = k % p.kw;
    let ky = (k / p.kw) % p.kh;
    let ci = k / (p.kw * p.kh);
    chan[c] = (g * cinG + ci) * p.h * p.w;
    tapY[c] = i32(ky * p.dilH) - i32(p.padH);
    tapX[c] = i32(kx * p.dilW) - i32(p.padW);
  }
  // The dy channel this lane loads for the subgroup in block j of 8 channels: m0 + 8j + lane % 8 (clamped).
  var dyChan = array<u32, 2>();
  for (var j = 0u; j < TM / 8u; j++) { dyChan[j] = (g * coutG + m0 + min(8u * j + lane % 8u, rows - 1u)) * plane; }

  var acc = array<f32, 96>(); // [m * TC + c]: summed over pixels, a quad a dot product
  var biasAcc = array<vec4f, 2>(); // [j]: the quads of the channel this lane loads in block j (BIAS = 1)
  let sw = i32(p.strideW);
  let rowEnd = min(p.batch * p.oh, (part + 1u) * p.rowsPerPart);
  for (var r = part * p.rowsPerPart; r < rowEnd; r++) {
    let n = r / p.oh;
    let oy = r % p.oh;
    let dyRow = n * p.cout * plane + oy * p.ow;
    let xImage = n * p.cin * p.h * p.w;
    let iy0 = i32(oy * p.strideH);
    for (var ox0 = 0u; ox0 < p.ow; ox0 += 4u) {
      let last = p.ow - 1u;
      let valid = vec4f(vec4<bool>(true, ox0 + 1u <= last, ox0 + 2u <= last, ox0 + 3u <= last));
      let ix0 = i32(ox0) * sw;
      var xv = array<vec4f, 8>();
      for (var c = 0u; c < TC; c++) {
        let xPlane = xImage + chan[c];
        let iy = iy0 + tapY[c];
        let ix = ix0 + tapX[c];
        if (SLIDE > 0u && c % max(SLIDE, 1u) != 0u) { // the same kernel row, one tap on
          xv[c] = vec4f(xv[c - 1u].yzw, xAt(xPlane, iy, ix + 3 * sw));
        } else {
          xv[c] = vec4f(xAt(xPlane, iy, ix), xAt(xPlane, iy, ix + sw), xAt(xPlane, iy, ix + 2 * sw),
                        xAt(xPlane, iy, ix + 3 * sw));
        }
      }
      for (var j = 0u; j < TM / 8u; j++) {
        let at = dyRow + dyChan[j];
        let dv = valid * vec4f(dy[at + ox0], dy[at + min(ox0 + 1u, last)], dy[at + min(ox0 + 2u, last)],
                               dy[at + min(ox0 + 3u, last)]);
        if (BIAS == 1u) { biasAcc[j] += dv; }
        addDyBlock(&acc, j, dv, &xv);
      }
    }
  }
  // Constant loop bounds keep acc in registers (a runtime index would move it to memory).
  let count = p.cout * kSize;
  let stride = count + BIAS * p.cout;
  let writesBias = BIAS == 1u && kb == 0u && subgroupAny(lid == 0u) && lane < 8u;
  if (writesBias) {
    for (var j = 0u; j < TM / 8u; j++) {
      let m = 8u * j + lane;
      if (m < rows) { partial[part * stride + count + g * coutG + m0 + m] = dot(biasAcc[j], vec4f(1.0)); }
    }
  }
  for (var m = 0u; m < TM; m++) {
    if (m >= rows) { continue; }
    let row = part * stride + (g * coutG + m0 + m) * kSize;
    for (var c = 0u; c < TC; c++) {
      if (k0 + c < kSize) { partial[row + k0 + c] = acc[m * TC + c]; }
    }
  }
}
