// The body of conv2d's forward_6_depthwise_multi passes (included by forward_6_depthwise_multi and
// forward_6_depthwise_multi_stats, which say what it computes). Declares Params, the overrides and bindings @0-@5
// (p, x, w, b, y as depthwise_forward_declarations.wgsl does, and x4); needs fn keepRow(acc: ptr<function,
// array<vec4f, 8>>, cols: u32), called by every thread after it stores an output row: acc[c * STRIP/4 + q] holds
// channel co0 + c's outputs 4q .. 4q + 3 of the strip (the bias added), of which the first `cols` are inside y; and
// fn finish(n: u32, co0: u32, chunk: u32, s: u32), called by every thread after its last row.
//!include conv2d/depthwise_forward_declarations
override TMC: u32 = 1u;
@group(0) @binding(5) var<storage, read> x4: array<vec4f>;

//!include conv2d/padded_input
//!include conv2d/depthwise_window
//!include conv2d/depthwise_window_quads
//!include conv2d/pairwise_sum
const MAX_K = 9u;

// Tap row ky of the output row: its KW taps for each of the TMC channels and quads of the strip.
fn sumTaps(acc: ptr<function, array<vec4f, 8>>, ky: u32, row: ptr<function, array<f32, MAX_ROW>>,
           wk: ptr<function, array<f32, 162>>) {
  for (var c = 0u; c < TMC; c++) {
    for (var q = 0u; q < STRIP / 4u; q++) {
      let i = c * STRIP / 4u + q;
      var t: array<vec4f, MAX_K>;
      for (var kx = 0u; kx < KW; kx++) { t[kx] = vec4f((*wk)[(c * KH + ky) * KW + kx]) * tapQuad(*row, q, kx); }
      (*acc)[i] = (*acc)[i] + pairwiseSum(t);
    }
  }
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let blocks = p.cout / TMC; // channel blocks per image
  if (t >= p.batch * blocks * p.chunks * p.strips) { return; }
  let s = t % p.strips;
  let chunk = (t / p.strips) % p.chunks;
  let block = t / (p.strips * p.chunks); // n * blocks + channel block
  let co0 = (block % blocks) * TMC;
  let n = block / blocks;
  let ci = co0 / (p.cout / p.groups); // the group's one input channel
  let xPlane = (n * p.cin + ci) * p.h * p.w;
  let ox0 = s * STRIP;
  let ix0 = i32(ox0) - i32(p.padW);
  let oy0 = chunk * p.rowsPerChunk;
  let oyEnd = min(oy0 + p.rowsPerChunk, p.oh);

  // The TMC channels' biases (vec4 components; those past TMC repeat the last).
  let last = co0 + TMC - 1u;
  let bias = select(vec4f(0.0), vec4f(b[co0], b[min(co0 + 1u, last)], b[min(co0 + 2u, last)], b[min(co0 + 3u, last)]),
                    p.hasBias == 1u);

  var wk: array<f32, 162>; // [c * KH * KW + ky * KW + kx]
  for (var k = 0u; k < TMC * KH * KW; k++) { wk[k] = w[co0 * KH * KW + k]; }
  // win[ky] holds input row oy - padH + ky for the output row oy being computed; rows 1 .. KH-1 of oy0 - 1 first.
  var win: array<array<f32, MAX_ROW>, MAX_K>;
  let iyTop = i32(oy0) - i32(p.padH);
  for (var ky = 1u; ky < KH; ky++) { win[ky] = windowRow(xPlane, iyTop + i32(ky) - 1, ix0); }
  for (var oy = oy0; oy < oyEnd; oy++) {
    for (var ky = 0u; ky + 1u < KH; ky++) { win[ky] = win[ky + 1u]; }
    win[KH - 1u] = windowRow(xPlane, i32(oy) - i32(p.padH) + i32(KH) - 1, ix0);
    var acc: array<vec4f, 8>; // [c * STRIP/4 + q]: channel co0 + c, outputs ox0 + 4q .. ox0 + 4q + 3
    for (var c = 0u; c < TMC; c++) {
      for (var q = 0u; q < STRIP / 4u; q++) { acc[c * STRIP / 4u + q] = vec4f(bias[c]); }
    }
    // One call per tap row, not a loop: lavapipe's compiler leaves a loop over a 9x9's tap rows rolled.
    var row: array<f32, MAX_ROW>;
    row = win[0]; sumTaps(&acc, 0u, &row, &wk);
    if (KH > 1u) { row = win[1]; sumTaps(&acc, 1u, &row, &wk); }
    if (KH > 2u) { row = win[2]; sumTaps(&acc, 2u, &row, &wk); }
    if (KH > 3u) { row = win[3]; sumTaps(&acc, 3u, &row, &wk); }
    if (KH > 4u) { row = win[4]; sumTaps(&acc, 4u, &row, &wk); }
    if (KH > 5u) { row = win[5]; sumTaps(&acc, 5u, &row, &wk); }
    if (KH > 6u) { row = win[6]; sumTaps(&acc, 6u, &row, &wk); }
    if (KH > 7u) { row = win[7]; sumTaps(&acc, 7u, &row, &wk); }
    if (KH > 8u) { row = win[8]; sumTaps(&acc, 8u, &row, &wk); }
    for (var c = 0u; c < TMC; c++) {
      let base = ((n * p.cout + co0 + c) * p.oh + oy) * p.ow;
      for (var q = 0u; q < STRIP / 4u; q++) {
        for (var j = 0u; j < 4u; j++) {
          let ox = ox0 + 4u * q + j;
          if (ox < p.ow) { y[base + ox] = acc[c * STRIP / 4u + q][j]; }
        }
      }
    }
    keepRow(&acc, min(STRIP, p.ow - ox0));
  }
  finish(n, co0, chunk, s);
}
