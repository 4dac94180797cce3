// conv2d.forward (variant 6 with a channel multiplier): forward_6_depthwise (see there: each thread slides a window
//   of input rows down a strip of outputs, loading each input about once) for depthwise convs with several output
//   channels per group (cout/groups > 1: CNN-X's 1-channel convs, 16 outputs each): a thread computes TMC
//   consecutive output channels of its group from the one window, so each input load serves TMC times as many FMAs.
//   Lavapipe, batch 15, 224 x 224, 16 channels, alternating with one channel a thread: the 3x3 (TMC = 4) 19-21 ->
//   16 ms, the 5x5 (TMC = 2) 27-28 -> 24-25. forward_6_depthwise itself keeps one channel a thread: this shader with
//   TMC = 1 ran Xception's 147 x 147 depthwise conv in 80-84 ms against its 71-72. With the tap rows summed by one
//   call each (a loop over a 9x9's is left rolled) and up to 162 weights a thread: CNN-X's 9x9 (TMC = 2) 42 ms
//   against 61-64 for 'subgroup', its 5x5 (TMC = 4) 17-20 against 21-22 with TMC = 2; TMC = 4 at 9x9 ran 139.
//   Each kernel row's products are summed as a tree (pairwise_sum.wgsl: the 9x9 10-15% faster on a 2-core AMD EPYC).
//   With QUADS (rows of w % 4 == 0) the input rows come as aligned vec4s (depthwise_window_quads.wgsl: lavapipe
//   pays per lane and component for a load, a vec4 about what two scalars cost): taking turns, 9x9 55.9 -> 48.7 ms,
//   5x5 21.2 -> 20.3, 3x3 13.1 -> 12.7.
// Bindings: as forward_6_depthwise (@2 w: OIHW f32 [cout, 1, kh, kw]), and @5 x4: x as vec4s (read; any buffer of 16
//   bytes or more without QUADS).
// Params: as forward_6_depthwise.
// Workgroup: WG_X threads; overrides STRIP, KH, KW as forward_6_depthwise, TMC (output channels per thread: 2 or 4,
//   dividing cout/groups; TMC * KH * KW <= 162), and QUADS with OFF as depthwise_window_quads.wgsl needs them; KH,
//   KW <= MAX_K (9).
// Grid: linearGrid(ceil(batch * cout/TMC * chunks * strips / WG_X)), strips fastest, then chunks, then channel blocks.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  hasBias: u32, strips: u32, rowsPerChunk: u32, chunks: u32,
}

override WG_X: u32;
override STRIP: u32 = 8u;
override KH: u32 = 3u;
override KW: u32 = 3u;
override TMC: u32 = 1u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
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
  }
}
