enable subgroups;
// conv2d.backward_weight (variant 3 over whole planes): backward_weight_3_subgroup's tiles (see there: TM output
//   channels x WG_X*TC weight columns per workgroup, dy shared by subgroup broadcasts, TM x TC accumulators per thread
//   taking dot products of quads) for output planes of a multiple of 4 pixels and rows of at least 4. The workgroup
//   walks each image's plane a quad of 4 consecutive pixels at a time, flattened over rows, instead of row by row: a
//   row of 14 pixels no longer ends in a half-empty quad, and each lane's dy quad is one vec4 load, not 4 scalar loads
//   clamped to the row (under lavapipe a vec4 load costs about 1.4 scalar ones, a load about 5 vec4 FMAs). A quad that
//   crosses a row's end takes its last pixels' inputs from the next row. ResNet-50's 3x3 weight gradient at batch 15
//   (bench, row walk -> this): 241 -> 163 ms at 14 x 14, 186 -> 163 at 56 x 56. The inputs under the quad are loaded
//   first and each broadcast dy channel is added as it arrives (addDyBlock, dy_broadcast.wgsl) rather than all TM kept:
//   fewer registers live, 175-179 -> 162-172 ms on lavapipe at both sizes. With SLIDE (stride and dilation 1 across
//   rows, TC a multiple of kw, so a thread's columns are whole kernel rows) a quad that lies in one row takes each
//   tap's inputs but the row's first from the previous tap's, shifted one pixel, with one new load instead of 4: at 3x3
//   with two kernel rows a thread (16 x 6), ResNet-50's 3x3 at 56 x 56 129 -> 107 ms, at 14 x 14 131 -> 113 (16 x 4
//   unslid before).
//   The parts split the pixels as whole images while there are enough of them, else ranges of each plane's quads.
//   Planes of oh*ow pixels not a multiple of 4 (7 x 7) come with dy padded with zeros to plane4 quads a plane
//   (pack_planes): the padding pixels' inputs lie past the last row, and times a zero dy they add nothing.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: f32 [batch, cout, 4*plane4] as vec4s
//   (read: NCHW, each plane padded with zeros to 4*plane4 pixels); @3 partial: f32 [parts, cout * cin/groups * kh *
//   kw (+ cout with BIAS)] (read_write; each part writes its own tiles).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   ow >= 4), plane4 (= ceil(oh*ow / 4)), imagesPerPart, chunks (quad ranges per plane), chunkQuads (quads
//   per range), parts (= ceil(batch / imagesPerPart) * chunks), mBlocks (= ceil(cout/groups / TM)), kBlocks
//   (= ceil(K / (WG_X*TC))).
// Workgroup: as backward_weight_3_subgroup (WG_X, TM, TC, BIAS) but TC <= 8 and TM * TC <= 96: with no broadcasts kept,
//   lavapipe ran 16 x 4 tiles faster than 16 x 2 (ResNet-50's 3x3 at 56 x 56 155 -> 126 ms), 16 x 6 as fast, 16 x 8 9x
//   slower (spilled; measured with vec4 sums, before dy_broadcast's dot products); SLIDE = kw or 0 (above).
// Grid: linearGrid(parts * kBlocks * mBlocks * groups), parts fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  plane4: u32, imagesPerPart: u32, chunks: u32, chunkQuads: u32, parts: u32, mBlocks: u32, kBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override TC: u32 = 4u;
override BIAS: u32 = 0u;
override SLIDE: u32 = 0u; // kw where each tap's inputs may come from the previous tap's (see above), else 0
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
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
  let plane = 4u * p.plane4; // dy's planes: oh*ow pixels, padded with zeros to a multiple of 4 where they are not

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
  let chunk = part % p.chunks;
  let n0 = (part / p.chunks) * p.imagesPerPart;
  let nEnd = min(p.batch, n0 + p.imagesPerPart);
  let q0 = chunk * p.chunkQuads;
  let qEnd = min(p.plane4, q0 + p.chunkQuads);
  for (var n = n0; n < nEnd; n++) {
    let dyImage = n * p.cout * plane;
    let xImage = n * p.cin * p.h * p.w;
    // The quad's first pixel (oy, ox), advanced by 4 a quad (rows of at least 4 pixels: one wrap at most).
    var oy = (4u * q0) / p.ow;
    var ox = (4u * q0) % p.ow;
    for (var q = q0; q < qEnd; q++) {
      // Input coordinates of the quad's 4 pixels before the taps (a pixel past its row's end is the next row's).
      var iy = vec4i();
      var ix = vec4i();
      for (var i = 0u; i < 4u; i++) {
        let wraps = ox + i >= p.ow;
        iy[i] = i32(select(oy, oy + 1u, wraps) * p.strideH);
        ix[i] = i32(select(ox + i, ox + i - p.ow, wraps) * p.strideW);
      }
      var xv = array<vec4f, 8>();
      let inRow = ox + 3u < p.ow; // the quad's pixels in one row: the next tap's inputs are one pixel on
      for (var c = 0u; c < TC; c++) {
        let xPlane = xImage + chan[c];
        let ty = iy + tapY[c];
        let tx = ix + tapX[c];
        if (SLIDE > 0u && c % max(SLIDE, 1u) != 0u && inRow) { // the same kernel row, one tap on
          xv[c] = vec4f(xv[c - 1u].yzw, xAt(xPlane, ty.w, tx.w));
        } else {
          xv[c] = vec4f(xAt(xPlane, ty.x, tx.x), xAt(xPlane, ty.y, tx.y), xAt(xPlane, ty.z, tx.z),
                        xAt(xPlane, ty.w, tx.w));
        }
      }
      for (var j = 0u; j < TM / 8u; j++) {
        let dv = dy[(dyImage + dyChan[j]) / 4u + q];
        if (BIAS == 1u) { biasAcc[j] += dv; }
        addDyBlock(&acc, j, dv, &xv);
      }
      ox += 4u;
      if (ox >= p.ow) { ox -= p.ow; oy += 1u; }
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
