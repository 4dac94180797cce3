// The body of conv2d's backward_weight_3_subgroup passes (included by backward_weight_3_subgroup and
// backward_weight_3_subgroup_quads, which say what it computes). Declares Params, the overrides WG_X, TM, TC, BIAS
// and the bindings p, x, partial; needs `enable subgroups;`, the dy binding and
// fn dyQuad(row: u32, ox0: u32) -> vec4f: dy at pixels ox0 .. ox0+3 of the output row starting at `row` in dy,
// 0 past the row's end.

//!include conv2d/padded_input

struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  rowsPerPart: u32, parts: u32, mBlocks: u32, kBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override TC: u32 = 4u;
override BIAS: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

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
  var chan = array<u32, 4>(); // (g*cinG + ci) * h * w, without the image offset
  var tapY = array<i32, 4>(); // ky*dilH - padH
  var tapX = array<i32, 4>(); // kx*dilW - padW
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

  var acc = array<vec4f, 32>(); // [m * TC + c], lane i of each vec4 the pixels ox0 + i
  var d = array<vec4f, 16>(); // dy of channels m0 .. m0+TM-1 under the current quad
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
      for (var j = 0u; j < TM / 8u; j++) {
        let dv = dyQuad(dyRow + dyChan[j], ox0);
        if (BIAS == 1u) { biasAcc[j] += dv; }
        d[8u * j] = subgroupBroadcast(dv, 0u);
        d[8u * j + 1u] = subgroupBroadcast(dv, 1u);
        d[8u * j + 2u] = subgroupBroadcast(dv, 2u);
        d[8u * j + 3u] = subgroupBroadcast(dv, 3u);
        d[8u * j + 4u] = subgroupBroadcast(dv, 4u);
        d[8u * j + 5u] = subgroupBroadcast(dv, 5u);
        d[8u * j + 6u] = subgroupBroadcast(dv, 6u);
        d[8u * j + 7u] = subgroupBroadcast(dv, 7u);
      }
      let ix0 = i32(ox0) * sw;
      for (var c = 0u; c < TC; c++) {
        let xPlane = xImage + chan[c];
        let iy = iy0 + tapY[c];
        let ix = ix0 + tapX[c];
        let xv = vec4f(xAt(xPlane, iy, ix), xAt(xPlane, iy, ix + sw), xAt(xPlane, iy, ix + 2 * sw),
                       xAt(xPlane, iy, ix + 3 * sw));
        for (var m = 0u; m < TM; m++) { acc[m * TC + c] = fma(d[m], xv, acc[m * TC + c]); }
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
      if (k0 + c < kSize) { partial[row + k0 + c] = dot(acc[m * TC + c], vec4f(1.0)); }
    }
  }
}
