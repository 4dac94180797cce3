// conv2d.backward_weight (variant 2, register-tiled): partial sums of the weight gradient, as backward_weight.wgsl.
//   dw[co, ci, ky, kx] = sum over j = (n, oy, ox) of dy[n, co, oy, ox] * x[n, g*cin/groups + ci, oy*strideH - padH + ky*dilH,
//   ox*strideW - padW + kx*dilW]. A weight "row" is r = ci*kh + ky, so dw is [cout, R = cin/groups*kh, kw].
//   Each workgroup owns a tile of TM output channels x TR weight rows (all kw taps, as KWV vec4s of 4 taps) of one
//   group; each thread ("part") sums that tile over its own range of output rows (n, oy), pixel by pixel: per pixel
//   it loads TM dy values and, per weight row, the inputs under the kw taps as vec4 windows, which slide by one
//   element per pixel when strideW == dilW (one new load per row and pixel). It then writes its tile to
//   partial[part, :]; conv2d.sum_partials adds the parts in a fixed order.
//   With BIAS = 1 the bias gradient db[co] = sum of dy[n, co, oy, ox] comes along: the threads of the first weight-row
//   block already load every dy value of their channels once per pixel, so they also add them up (TM adds beside
//   TM * TR * KWV vec4 FMAs) and write them after the weights, which saves the bias pass's full read of dy.
//   All loops over the register tile have override trip counts so the compiler unrolls them and the tile stays in
//   registers (TM * TR * KWV is kept small enough for the driver's unroll budget).
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] (read);
//   @3 partial: f32 [parts, cout * cin/groups * kh * kw (+ cout with BIAS)] (read_write; each part writes its own tiles).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups),
//   rowsPerPart (output rows (n, oy) per part), parts (= ceil(batch*oh / rowsPerPart)), mBlocks (= ceil(cout/groups / TM)),
//   rBlocks (= ceil(cin/groups*kh / TR)).
// Workgroup: WG_X threads, one part each; overrides TM (<= 16), TR (<= 16), KWV (= ceil(kw / 4), <= 4),
//   TM * TR * KWV <= 128, BIAS (0 or 1). Grid: linearGrid(ceil(parts / WG_X) * mBlocks * rBlocks * groups), parts fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  rowsPerPart: u32, parts: u32, mBlocks: u32, rBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override TR: u32 = 3u;
override KWV: u32 = 1u;
override BIAS: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
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

  var acc = array<vec4f, 128>(); // [(m * TR + r) * KWV + c]: taps kx = 4c .. 4c+3
  var biasAcc = array<f32, 16>(); // [m], summed by the first row block only (BIAS = 1)
  let sumsBias = BIAS == 1u && rb == 0u;
  var win = array<vec4f, 64>();  // [r * KWV + c]: inputs under taps 4c .. 4c+3 for the current pixel
  let rowEnd = min((part + 1u) * p.rowsPerPart, p.batch * p.oh);
  for (var nr = part * p.rowsPerPart; nr < rowEnd; nr++) {
    let n = nr / p.oh;
    let oy = nr % p.oh;
    let dyRow = ((n * p.cout + g * coutG + m0) * p.oh + oy) * p.ow;
    let dyStride = p.oh * p.ow;
    let xBatch = n * p.cin * p.h * p.w;
    let iy0 = i32(oy * p.strideH);
    // When sliding, start from the taps of pixel ox = -1; each pixel then shifts by one tap and loads one.
    let ixm1 = -sw - i32(p.padW);
    for (var r = 0u; r < TR; r++) {
      for (var c = 0u; c < KWV; c++) {
        if (!slide) { continue; }
        let plane = xBatch + rowPlane[r];
        let iy = iy0 + rowDy[r];
        let ix = ixm1 + i32(4u * c) * dw;
        win[r * KWV + c] = vec4f(xAt(plane, iy, ix), xAt(plane, iy, ix + dw), xAt(plane, iy, ix + 2 * dw), xAt(plane, iy, ix + 3 * dw));
      }
    }
    for (var ox = 0u; ox < p.ow; ox++) {
      let ix = i32(ox) * sw - i32(p.padW);
      for (var r = 0u; r < TR; r++) {
        let plane = xBatch + rowPlane[r];
        let iy = iy0 + rowDy[r];
        if (slide) {
          for (var c = 0u; c + 1u < KWV; c++) { win[r * KWV + c] = vec4f(win[r * KWV + c].yzw, win[r * KWV + c + 1u].x); }
          win[r * KWV + KWV - 1u] = vec4f(win[r * KWV + KWV - 1u].yzw, xAt(plane, iy, ix + i32(4u * KWV - 1u) * dw));
        } else {
          for (var c = 0u; c < KWV; c++) {
            let i4 = ix + i32(4u * c) * dw;
            win[r * KWV + c] = vec4f(xAt(plane, iy, i4), xAt(plane, iy, i4 + dw), xAt(plane, iy, i4 + 2 * dw), xAt(plane, iy, i4 + 3 * dw));
          }
        }
      }
      for (var m = 0u; m < TM; m++) {
        let d = select(0.0, dy[dyRow + min(m, mCount - 1u) * dyStride + ox], m < mCount);
        for (var i = 0u; i < TR * KWV; i++) { acc[m * TR * KWV + i] = fma(vec4f(d), win[i], acc[m * TR * KWV + i]); }
        if (sumsBias) { biasAcc[m] += d; }
      }
    }
  }
  let weights = p.cout * rowsTotal * p.kw;
  let partStride = weights + BIAS * p.cout;
  for (var m = 0u; m < TM; m++) {
    if (sumsBias && m < mCount) { partial[part * partStride + weights + g * coutG + m0 + m] = biasAcc[m]; }
    for (var r = 0u; r < TR; r++) {
      if (m >= mCount || r >= rCount) { continue; }
      let base = part * partStride + ((g * coutG + m0 + m) * rowsTotal + r0 + r) * p.kw;
      for (var c = 0u; c < KWV; c++) {
        let a = acc[(m * TR + r) * KWV + c];
        for (var j = 0u; j < 4u; j++) {
          if (4u * c + j < p.kw) { partial[base + 4u * c + j] = a[j]; }
        }
      }
    }
  }
}
