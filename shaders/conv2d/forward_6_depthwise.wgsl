// conv2d.forward (variant 6, depthwise): the same result as forward.wgsl for convs with one input channel per group
//   (depthwise, any channel multiplier) at stride 1 and dilation 1: Xception's separable convs, and the input
//   gradient of every such conv (a conv of dy with the flipped weights, see runConv2dBackwardInput).
//   A depthwise conv does KH*KW FMAs per 8 bytes moved, so it is bound by memory, and on lavapipe by the number of
//   per-lane loads. Each thread owns STRIP consecutive output columns of one output plane over rowsPerChunk output
//   rows. It keeps the KH input rows under its outputs in registers (STRIP + KW - 1 values each) and its KH*KW
//   weights; going down one output row shifts that window by a row and loads one new input row. Every input is so
//   loaded about once per strip (plus the KW - 1 columns and KH - 1 rows of overlap with its neighbours) instead of
//   KH*KW times.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 w: OIHW f32 [cout, 1, kh, kw] (read);
//   @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32 [batch, cout, oh, ow] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   cin = groups, stride and dilation 1), hasBias, strips (= ceil(ow / STRIP)), rowsPerChunk, chunks
//   (= ceil(oh / rowsPerChunk)).
// Workgroup: WG_X threads; overrides STRIP (output columns per thread: 4 or 8), KH = kh and KW = kw (<= MAX_K), so
//   every loop over the window unrolls and the window stays in registers.
// Grid: linearGrid(ceil(batch * cout * chunks * strips / WG_X)), strips fastest, then chunks, then planes.
//!include conv2d/depthwise_forward_declarations

//!include conv2d/padded_input
//!include conv2d/depthwise_window
const MAX_K = 7u;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (t >= p.batch * p.cout * p.chunks * p.strips) { return; }
  let s = t % p.strips;
  let chunk = (t / p.strips) % p.chunks;
  let yPlane = t / (p.strips * p.chunks); // n * cout + co
  let co = yPlane % p.cout;
  let n = yPlane / p.cout;
  let ci = co / (p.cout / p.groups); // the group's one input channel
  let xPlane = (n * p.cin + ci) * p.h * p.w;
  let ox0 = s * STRIP;
  let ix0 = i32(ox0) - i32(p.padW);
  let oy0 = chunk * p.rowsPerChunk;
  let oyEnd = min(oy0 + p.rowsPerChunk, p.oh);
  let bias = select(0.0, b[co], p.hasBias == 1u);

  var wk: array<f32, 49>; // [ky * KW + kx]
  for (var k = 0u; k < KH * KW; k++) { wk[k] = w[co * KH * KW + k]; }
  // win[ky] holds input row oy - padH + ky for the output row oy being computed; rows 1 .. KH-1 of oy0 - 1 first.
  var win: array<array<f32, MAX_ROW>, MAX_K>;
  let iyTop = i32(oy0) - i32(p.padH);
  for (var ky = 1u; ky < KH; ky++) { win[ky] = inputRow(xPlane, iyTop + i32(ky) - 1, ix0); }
  for (var oy = oy0; oy < oyEnd; oy++) {
    for (var ky = 0u; ky + 1u < KH; ky++) { win[ky] = win[ky + 1u]; }
    win[KH - 1u] = inputRow(xPlane, i32(oy) - i32(p.padH) + i32(KH) - 1, ix0);
    var acc: array<vec4f, 2>; // [q]: outputs ox0 + 4q .. ox0 + 4q + 3
    for (var q = 0u; q < STRIP / 4u; q++) { acc[q] = vec4f(bias); }
    for (var ky = 0u; ky < KH; ky++) {
      for (var kx = 0u; kx < KW; kx++) {
        for (var q = 0u; q < STRIP / 4u; q++) { acc[q] = fma(vec4f(wk[ky * KW + kx]), tapQuad(win[ky], q, kx), acc[q]); }
      }
    }
    let base = (yPlane * p.oh + oy) * p.ow;
    for (var q = 0u; q < STRIP / 4u; q++) {
      for (var j = 0u; j < 4u; j++) {
        let ox = ox0 + 4u * q + j;
        if (ox < p.ow) { y[base + ox] = acc[q][j]; }
      }
    }
  }
}
