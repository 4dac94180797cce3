// conv2d.backward_weight (variant 2 over pixel quads): backward_weight_2_gemm for output rows of a multiple of 4
//   pixels, with dy read a quad at a time: per 4 pixels a thread loads each of its TM dy rows as one vec4 instead of
//   4 scalars (under lavapipe a load costs about as much as 5 vec4 FMAs, a vec4 load about 1.4 scalar ones: CNN-X's
//   9x9 weight gradient 82 -> 68 ms at batch 15). The pixels of the quad then run as in backward_weight_2_gemm:
//   the window slides (or is reloaded), TM x TR x KW FMAs. Same partials, same order of additions per thread, same
//   bias gradient (BIAS = 1). Loading the window's new inputs a quad at a time too (one aligned vec4 where the taps
//   allow) measured no faster at 9x9 and slower at 5x5: the tile's accumulators, not its loads, bound it there.
//   backward_weight_2_gemm itself keeps its pixel-by-pixel loop: the same body walked by quads with a partial last
//   quad ran 15-19% slower on rows of 14 and 222 pixels.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] as vec4s
//   (read); @3 partial: f32 [parts, cout * cin/groups * kh * kw (+ cout with BIAS)] (read_write).
// Params: as backward_weight_2_gemm (the conv shape, rowsPerPart, parts, mBlocks, rBlocks); ow % 4 == 0.
// Workgroup: WG_X threads, one part each; overrides TM, TR, KW, BIAS as backward_weight_2_gemm.
//   Grid: linearGrid(ceil(parts / WG_X) * mBlocks * rBlocks * groups), parts fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  rowsPerPart: u32, parts: u32, mBlocks: u32, rBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override TR: u32 = 3u;
override KW: u32 = 3u;
override BIAS: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

//!include conv2d/padded_input

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let partBlocks = (p.parts + WG_X - 1u) / WG_X;
  let t = wid.x + wid.y * nwg.x;
  let part = (t % partBlocks) * WG_X + lid;
  let mb = (t / partBlocks) % p.mBlocks;
  let rb = (t / (partBlocks * p.mBlocks)) % p.rBlocks;
  let g = t / (partBlocks * p.mBlocks * p.rBlocks);
  if (g >= p.groups || part >= p.parts) { return; }
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let rowsTotal = cinG * p.kh;
  let m0 = mb * TM;
  let r0 = rb * TR;
  let mCount = min(TM, coutG - m0);
  let rCount = min(TR, rowsTotal - r0);
  let sw = i32(p.strideW);
  let dw = i32(p.dilW);
  let slide = p.strideW == p.dilW;

  // Per weight row of the tile: its input channel plane offset and vertical tap offset.
  var rowPlane: array<u32, 16>;
  var rowDy: array<i32, 16>;
  for (var r = 0u; r < TR; r++) {
    let row = r0 + min(r, rCount - 1u);
    rowPlane[r] = (g * cinG + row / p.kh) * p.h * p.w;
    rowDy[r] = i32((row % p.kh) * p.dilH) - i32(p.padH);
  }

  var acc = array<f32, 128>(); // [(m * TR + r) * KW + kx]
  var biasAcc = array<f32, 16>(); // [m], summed by the first row block only (BIAS = 1)
  let sumsBias = BIAS == 1u && rb == 0u;
  var win = array<f32, 256>();  // [r * KW + kx]: inputs under the taps for the current pixel
  var d4 = array<vec4f, 16>(); // [m]: dy of the tile's channels over the current quad
  let rowEnd = min((part + 1u) * p.rowsPerPart, p.batch * p.oh);
  for (var nr = part * p.rowsPerPart; nr < rowEnd; nr++) {
    let n = nr / p.oh;
    let oy = nr % p.oh;
    let dyRow = ((n * p.cout + g * coutG + m0) * p.oh + oy) * p.ow;
    let dyStride = p.oh * p.ow;
    let xBatch = n * p.cin * p.h * p.w;
    let iy0 = i32(oy * p.strideH);
    // When sliding, start from the taps of pixel ox = -1; each pixel then shifts by one tap and takes one new input.
    let ixm1 = -sw - i32(p.padW);
    for (var r = 0u; r < TR; r++) {
      for (var kx = 0u; kx < KW; kx++) {
        if (!slide) { continue; }
        win[r * KW + kx] = xAt(xBatch + rowPlane[r], iy0 + rowDy[r], ixm1 + i32(kx) * dw);
      }
    }
    for (var ox0 = 0u; ox0 < p.ow; ox0 += 4u) {
      for (var m = 0u; m < TM; m++) {
        d4[m] = select(vec4f(0.0), dy[(dyRow + min(m, mCount - 1u) * dyStride + ox0) / 4u], m < mCount);
      }
      for (var s = 0u; s < 4u; s++) {
        let ix = i32(ox0 + s) * sw - i32(p.padW);
        for (var r = 0u; r < TR; r++) {
          let plane = xBatch + rowPlane[r];
          let iy = iy0 + rowDy[r];
          if (slide) {
            for (var kx = 0u; kx + 1u < KW; kx++) { win[r * KW + kx] = win[r * KW + kx + 1u]; }
            win[r * KW + KW - 1u] = xAt(plane, iy, ix + i32(KW - 1u) * dw);
          } else {
            for (var kx = 0u; kx < KW; kx++) { win[r * KW + kx] = xAt(plane, iy, ix + i32(kx) * dw); }
          }
        }
        for (var m = 0u; m < TM; m++) {
          let d = d4[m][s];
          for (var i = 0u; i < TR * KW; i++) { acc[m * TR * KW + i] = fma(d, win[i], acc[m * TR * KW + i]); }
          if (sumsBias) { biasAcc[m] += d; }
        }
      }
    }
  }
  let weights = p.cout * rowsTotal * p.kw;
  let partStride = weights + BIAS * p.cout;
  for (var m = 0u; m < TM; m++) {
    if (sumsBias && m < mCount) { partial[part * partStride + weights + g * coutG + m0 + m] = biasAcc[m]; }
    for (var r = 0u; r < TR; r++) {
      if (m >= mCount || r >= rCount) { continue; }
      let base = part * partStride + ((g * coutG + m0 + m) * rowsTotal + r0 + r) * KW;
      for (var kx = 0u; kx < KW; kx++) { partial[base + kx] = acc[(m * TR + r) * KW + kx]; }
    }
  }
}
