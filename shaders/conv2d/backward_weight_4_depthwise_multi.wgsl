// conv2d.backward_weight (variant 4 with a channel multiplier): backward_weight_4_depthwise (see there: a thread
//   slides a window of input rows down a strip of outputs and keeps one sum per tap) for depthwise convs with several
//   output channels per group (CNN-X's 1-channel convs, 16 outputs) over rows of a multiple of 4 pixels: a thread
//   sums TMC consecutive output channels of its group from the one input window, each load of it serving TMC times
//   the FMAs, and reads dy as vec4 quads (under lavapipe a vec4 load costs about 1.4 scalar ones). Each tap row is
//   summed by one call (sumTaps), not in a loop: lavapipe's compiler leaves a loop over a 9x9's tap rows rolled.
//   Lavapipe, batch 15, 224 x 224: CNN-X's 9x9 (TMC = 2) 35 ms against 68 for backward_weight_2_gemm_quads.
//   A tap's quads are added together before its sum takes them (one update of the stack-held sum per tap and row,
//   not one per quad): on a 2-core AMD EPYC, alternating in one process, 9x9 44.9 -> 42.7 ms, 5x5 17.9 -> 17.4, 3x3
//   11.9 -> 11.6. With QUADS the input rows come as aligned vec4s too (depthwise_window_quads.wgsl), taking turns:
//   9x9 42.0 -> 39.2 ms, 5x5 17.4 -> 16.2.
// Bindings: as backward_weight_4_depthwise, with @2 dy: NCHW f32 [batch, cout, oh, ow] as vec4s (read), and @4 x4: x
//   as vec4s (read; any buffer of 16 bytes or more without QUADS).
// Params: as backward_weight_4_depthwise; ow % 4 == 0.
// Workgroup: WG_X threads; overrides STRIP, KH, KW, BIAS as backward_weight_4_depthwise, TMC (output channels per
//   thread: 2 or 4, dividing cout/groups; TMC * KH * KW <= 162), and QUADS with OFF as depthwise_window_quads.wgsl
//   needs them; KH, KW <= MAX_K.
// Grid: linearGrid(ceil(cout/TMC * parts / WG_X)), strips fastest, then chunks, then image groups, then channel blocks.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  strips: u32, rowsPerChunk: u32, chunks: u32, imagesPerPart: u32, parts: u32,
}

override WG_X: u32;
override STRIP: u32 = 8u;
override KH: u32 = 3u;
override KW: u32 = 3u;
override BIAS: u32 = 0u;
override TMC: u32 = 2u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<storage, read> x4: array<vec4f>;

//!include conv2d/padded_input
//!include conv2d/depthwise_window
//!include conv2d/depthwise_window_quads
const MAX_K = 9u;

// Tap row ky of the output row: its KW taps' sums for each of the TMC channels, the strip's quads added first.
fn sumTaps(acc: ptr<function, array<f32, 162>>, ky: u32, row: ptr<function, array<f32, MAX_ROW>>,
           d: ptr<function, array<vec4f, 8>>) {
  for (var kx = 0u; kx < KW; kx++) {
    for (var c = 0u; c < TMC; c++) {
      var sum = dot((*d)[c * STRIP / 4u], tapQuad(*row, 0u, kx));
      for (var q = 1u; q < STRIP / 4u; q++) { sum += dot((*d)[c * STRIP / 4u + q], tapQuad(*row, q, kx)); }
      (*acc)[(c * KH + ky) * KW + kx] += sum;
    }
  }
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (t >= (p.cout / TMC) * p.parts) { return; }
  let part = t % p.parts;
  let co0 = (t / p.parts) * TMC;
  let s = part % p.strips;
  let chunk = (part / p.strips) % p.chunks;
  let n0 = (part / (p.strips * p.chunks)) * p.imagesPerPart;
  let nEnd = min(n0 + p.imagesPerPart, p.batch);
  let ci = co0 / (p.cout / p.groups); // the group's one input channel
  let ox0 = s * STRIP;
  let ix0 = i32(ox0) - i32(p.padW);
  let oy0 = chunk * p.rowsPerChunk;
  let oyEnd = min(oy0 + p.rowsPerChunk, p.oh);

  var acc: array<f32, 162>; // [c * KH * KW + ky * KW + kx]
  var biasAcc: array<vec4f, 4>; // [c]
  var win: array<array<f32, MAX_ROW>, MAX_K>;
  for (var n = n0; n < nEnd; n++) {
    let xPlane = (n * p.cin + ci) * p.h * p.w;
    let dyPlane = (n * p.cout + co0) * p.oh * p.ow; // channel co0's; co0 + c is c planes on
    // win[ky] holds input row oy - padH + ky for the output row oy being summed; rows 1 .. KH-1 of oy0 - 1 first.
    let iyTop = i32(oy0) - i32(p.padH);
    for (var ky = 1u; ky < KH; ky++) { win[ky] = windowRow(xPlane, iyTop + i32(ky) - 1, ix0); }
    for (var oy = oy0; oy < oyEnd; oy++) {
      for (var ky = 0u; ky + 1u < KH; ky++) { win[ky] = win[ky + 1u]; }
      win[KH - 1u] = windowRow(xPlane, i32(oy) - i32(p.padH) + i32(KH) - 1, ix0);
      // [c * STRIP/4 + q]: channel co0 + c's dy at columns ox0 + 4q .. ox0 + 4q + 3, one vec4 (rows hold a multiple
      // of 4 pixels, so a quad is all inside the row or all past its end, then 0).
      var d: array<vec4f, 8>;
      for (var c = 0u; c < TMC; c++) {
        for (var q = 0u; q < STRIP / 4u; q++) {
          let ox = ox0 + 4u * q;
          let at = (dyPlane + c * p.oh * p.ow + oy * p.ow + min(ox, p.ow - 4u)) / 4u;
          d[c * STRIP / 4u + q] = select(vec4f(0.0), dy[at], ox < p.ow);
          biasAcc[c] += d[c * STRIP / 4u + q];
        }
      }
      var row: array<f32, MAX_ROW>;
      row = win[0]; sumTaps(&acc, 0u, &row, &d);
      if (KH > 1u) { row = win[1]; sumTaps(&acc, 1u, &row, &d); }
      if (KH > 2u) { row = win[2]; sumTaps(&acc, 2u, &row, &d); }
      if (KH > 3u) { row = win[3]; sumTaps(&acc, 3u, &row, &d); }
      if (KH > 4u) { row = win[4]; sumTaps(&acc, 4u, &row, &d); }
      if (KH > 5u) { row = win[5]; sumTaps(&acc, 5u, &row, &d); }
      if (KH > 6u) { row = win[6]; sumTaps(&acc, 6u, &row, &d); }
      if (KH > 7u) { row = win[7]; sumTaps(&acc, 7u, &row, &d); }
      if (KH > 8u) { row = win[8]; sumTaps(&acc, 8u, &row, &d); }
    }
  }
  let weights = p.cout * KH * KW;
  let base = part * (weights + BIAS * p.cout);
  for (var k = 0u; k < TMC * KH * KW; k++) { partial[base + co0 * KH * KW + k] = acc[k]; }
  if (BIAS == 1u) {
    for (var c = 0u; c < TMC; c++) { partial[base + weights + co0 + c] = dot(biasAcc[c], vec4f(1.0)); }
  }
}
