// conv2d.backward_weight (variant 4, depthwise): partial sums of the weight gradient, as backward_weight.wgsl, for
//   convs with one input channel per group at stride 1 and dilation 1 (the shapes forward_6_depthwise runs).
//   dw[co, 0, ky, kx] = sum over (n, oy, ox) of dy[n, co, oy, ox] * x[n, ci, oy - padH + ky, ox - padW + kx].
//   Each thread owns one output channel, STRIP output columns and a chunk of output rows of imagesPerPart images (its
//   part); it walks the rows with the same sliding window of KH input rows as forward_6_depthwise (one new input row
//   and one dy row loaded per output row) and keeps one sum per tap (scalars: a vec4 per tap would hold 4x the registers for the same FMAs, and a 5x5
//   kernel's would no longer fit). It writes the
//   KH*KW sums of its part (and with BIAS = 1 the sum of its dy values, the bias gradient, after all the weights);
//   conv2d.sum_partials adds the parts in a fixed order.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] (read);
//   @3 partial: f32 [parts, cout * kh * kw (+ cout with BIAS)] (read_write; each thread writes its own entries).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   cin = groups, stride and dilation 1), strips (= ceil(ow / STRIP)), rowsPerChunk, chunks (= ceil(oh / rowsPerChunk)),
//   imagesPerPart, parts (= ceil(batch / imagesPerPart) * chunks * strips).
// Workgroup: WG_X threads; overrides STRIP (4 or 8), KH = kh and KW = kw (<= MAX_K), BIAS (0 or 1).
// Grid: linearGrid(ceil(cout * parts / WG_X)), strips fastest, then chunks, then image groups, then channels.
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
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

//!include conv2d/padded_input
//!include conv2d/depthwise_window
const MAX_K = 7u;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (t >= p.cout * p.parts) { return; }
  let part = t % p.parts;
  let co = t / p.parts;
  let s = part % p.strips;
  let chunk = (part / p.strips) % p.chunks;
  let n0 = (part / (p.strips * p.chunks)) * p.imagesPerPart;
  let nEnd = min(n0 + p.imagesPerPart, p.batch);
  let ci = co / (p.cout / p.groups); // the group's one input channel
  let ox0 = s * STRIP;
  let ix0 = i32(ox0) - i32(p.padW);
  let oy0 = chunk * p.rowsPerChunk;
  let oyEnd = min(oy0 + p.rowsPerChunk, p.oh);

  var acc: array<f32, 49>; // [ky * KW + kx]
  var biasAcc = vec4f(0.0);
  var win: array<array<f32, MAX_ROW>, MAX_K>;
  for (var n = n0; n < nEnd; n++) {
    let xPlane = (n * p.cin + ci) * p.h * p.w;
    let dyPlane = (n * p.cout + co) * p.oh * p.ow;
    // win[ky] holds input row oy - padH + ky for the output row oy being summed; rows 1 .. KH-1 of oy0 - 1 first.
    let iyTop = i32(oy0) - i32(p.padH);
    for (var ky = 1u; ky < KH; ky++) { win[ky] = inputRow(xPlane, iyTop + i32(ky) - 1, ix0); }
    for (var oy = oy0; oy < oyEnd; oy++) {
      for (var ky = 0u; ky + 1u < KH; ky++) { win[ky] = win[ky + 1u]; }
      win[KH - 1u] = inputRow(xPlane, i32(oy) - i32(p.padH) + i32(KH) - 1, ix0);
      var d: array<vec4f, 2>; // [q]: dy at columns ox0 + 4q .. ox0 + 4q + 3, 0 past the row
      for (var q = 0u; q < STRIP / 4u; q++) {
        for (var j = 0u; j < 4u; j++) {
          let ox = ox0 + 4u * q + j;
          d[q][j] = select(0.0, dy[dyPlane + oy * p.ow + min(ox, p.ow - 1u)], ox < p.ow);
        }
        biasAcc += d[q];
      }
      for (var ky = 0u; ky < KH; ky++) {
        for (var kx = 0u; kx < KW; kx++) {
          for (var q = 0u; q < STRIP / 4u; q++) { acc[ky * KW + kx] += dot(d[q], tapQuad(win[ky], q, kx)); }
        }
      }
    }
  }
  let weights = p.cout * KH * KW;
  let base = part * (weights + BIAS * p.cout);
  for (var k = 0u; k < KH * KW; k++) { partial[base + co * KH * KW + k] = acc[k]; }
  if (BIAS == 1u) { partial[base + weights + co] = dot(biasAcc, vec4f(1.0)); }
}
