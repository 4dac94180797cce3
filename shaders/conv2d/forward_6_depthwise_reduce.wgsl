// conv2d.forward (variant 6 for one output channel per group): the same result as forward.wgsl for convs with one
//   output channel per group and several input channels, at stride 1 and dilation 1, over rows of a multiple of 4
//   inputs. Above all the input gradient of a depthwise conv with a channel multiplier (CNN-X's 1 -> 16 convs):
//   runConv2dBackwardInput runs it as a forward of dy with the flipped weights, a conv of 16 channels into 1, where
//   no tile of output channels can share a load.
//   Each thread owns STRIP output columns x ROWS output rows of one output plane and walks its group's input
//   channels. For each channel it slides a window of KH input rows (read as aligned vec4s: a lane's scalar loads cost
//   lavapipe 3x as much per value) down the block, as forward_6_depthwise does, loading ROWS + KH - 1 rows for
//   ROWS x KH x KW taps; the block's sums stay with the thread across the channels. A workgroup's threads share one
//   output plane, so every lane loads the same weights. Rows and tap rows are summed by one call each (sumRow,
//   sumTaps) rather than by loops: lavapipe's compiler leaves a loop that large rolled, and the window and sums then
//   get indexed at run time (a loop over the rows: 1.8-4.9x slower; over the tap rows: 9x9 1.6x slower, 3x3 and
//   5x5 level). Lavapipe, CNN-X's input gradients at batch 15 (forward_2_gemm before): 3x3 34 -> 15-18 ms, 5x5 67 ->
//   30, 9x9 174 -> 63 (38.5, 30.4 and 48.6% of the binding roof in the 14:03 bench: copy for the 3x3, FMA else).
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] as vec4s (read; w % 4 == 0); @2 w: OIHW f32
//   [cout, cin/groups, kh, kw] (read); @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32
//   [batch, cout, oh, ow] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   cout = groups, stride and dilation 1), hasBias, strips (= ceil(ow / STRIP)), blocks (= ceil(oh / ROWS)),
//   wgPerPlane (= ceil(strips * blocks / WG_X)).
// Workgroup: WG_X threads; overrides STRIP (4 or 8), ROWS (<= MAX_ROWS), KH = kh, KW = kw (<= MAX_K) and OFF.
// Grid: linearGrid(batch * cout * wgPerPlane): a plane's workgroups in a row, strips fastest within the plane.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  hasBias: u32, strips: u32, blocks: u32, wgPerPlane: u32,
}

override WG_X: u32;
override STRIP: u32 = 8u;
override ROWS: u32 = 4u;
override KH: u32 = 3u;
override KW: u32 = 3u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const MAX_K = 9u;
const MAX_ROWS = 8u;
const MAX_ACC = 16u; // ROWS x STRIP / 4
const ROW_QUADS = 5u; // a window row: OFF + STRIP + KW - 1 <= 3 + 8 + 8 values, in aligned quads
const ROW = 4u * ROW_QUADS;
override OFF: u32 = 0u; // (-padW) mod 4: where column ox0 - padW sits in the row's first quad

// Input row iy of the plane at `plane` (a multiple of 4), the quads from column a0 (a multiple of 4; w is too, so a
// quad is wholly inside the row or wholly outside it, 0).
fn inputRow(plane: u32, iy: i32, a0: i32) -> array<f32, ROW> {
  var row: array<f32, ROW>;
  for (var i = 0u; i < (OFF + STRIP + KW + 2u) / 4u; i++) {
    let ax = a0 + 4 * i32(i);
    let inside = iy >= 0 && iy < i32(p.h) && ax >= 0 && ax < i32(p.w);
    let v = select(vec4f(0.0), x[select(0u, (plane + u32(iy) * p.w + u32(ax)) / 4u, inside)], inside);
    row[4u * i] = v.x; row[4u * i + 1u] = v.y; row[4u * i + 2u] = v.z; row[4u * i + 3u] = v.w;
  }
  return row;
}

// The inputs under tap kx of the strip's quad q, one per output.
fn tap(row: array<f32, ROW>, q: u32, kx: u32) -> vec4f {
  let j = OFF + 4u * q + kx;
  return vec4f(row[j], row[j + 1u], row[j + 2u], row[j + 3u]);
}

// Tap row ky of output row oy0 + r of the block: its KW taps for each quad of the strip.
fn sumTaps(acc: ptr<function, array<vec4f, MAX_ACC>>, r: u32, ky: u32, row: ptr<function, array<f32, ROW>>,
           wk: ptr<function, array<f32, 81>>) {
  for (var kx = 0u; kx < KW; kx++) {
    for (var q = 0u; q < STRIP / 4u; q++) {
      let i = r * STRIP / 4u + q;
      (*acc)[i] = fma(vec4f((*wk)[ky * KW + kx]), tap(*row, q, kx), (*acc)[i]);
    }
  }
}

// Output row oy0 + r of the block: slides the window down a row (loading its new bottom row) and adds its taps.
fn sumRow(acc: ptr<function, array<vec4f, MAX_ACC>>, r: u32, win: ptr<function, array<array<f32, ROW>, MAX_K>>,
          wk: ptr<function, array<f32, 81>>, xPlane: u32, iyTop: i32, ix0: i32) {
  for (var ky = 0u; ky + 1u < KH; ky++) { (*win)[ky] = (*win)[ky + 1u]; }
  (*win)[KH - 1u] = inputRow(xPlane, iyTop + i32(r + KH) - 1, ix0);
  var row: array<f32, ROW>;
  row = (*win)[0]; sumTaps(acc, r, 0u, &row, wk);
  if (KH > 1u) { row = (*win)[1]; sumTaps(acc, r, 1u, &row, wk); }
  if (KH > 2u) { row = (*win)[2]; sumTaps(acc, r, 2u, &row, wk); }
  if (KH > 3u) { row = (*win)[3]; sumTaps(acc, r, 3u, &row, wk); }
  if (KH > 4u) { row = (*win)[4]; sumTaps(acc, r, 4u, &row, wk); }
  if (KH > 5u) { row = (*win)[5]; sumTaps(acc, r, 5u, &row, wk); }
  if (KH > 6u) { row = (*win)[6]; sumTaps(acc, r, 6u, &row, wk); }
  if (KH > 7u) { row = (*win)[7]; sumTaps(acc, r, 7u, &row, wk); }
  if (KH > 8u) { row = (*win)[8]; sumTaps(acc, r, 8u, &row, wk); }
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  // The plane comes from the workgroup alone, so the weight loads below are uniform.
  let wgIndex = wid.x + wid.y * nwg.x;
  let yPlane = wgIndex / p.wgPerPlane; // n * cout + co
  let t = (wgIndex % p.wgPerPlane) * WG_X + lid;
  if (yPlane >= p.batch * p.cout || t >= p.strips * p.blocks) { return; }
  let s = t % p.strips;
  let oy0 = (t / p.strips) * ROWS;
  let co = yPlane % p.cout;
  let n = yPlane / p.cout;
  let cinG = p.cin / p.groups;
  let ox0 = s * STRIP;
  let ix0 = i32(ox0) - i32(p.padW) - i32(OFF); // the row's first quad
  let iyTop = i32(oy0) - i32(p.padH);
  let bias = select(0.0, b[co], p.hasBias == 1u);

  var acc: array<vec4f, MAX_ACC>; // [r * STRIP/4 + q]: output row oy0 + r, columns ox0 + 4q .. ox0 + 4q + 3
  for (var i = 0u; i < ROWS * STRIP / 4u; i++) { acc[i] = vec4f(bias); }
  for (var c = 0u; c < cinG; c++) {
    let xPlane = (n * p.cin + co * cinG + c) * p.h * p.w;
    var wk: array<f32, 81>; // [ky * KW + kx]
    for (var k = 0u; k < KH * KW; k++) { wk[k] = w[(co * cinG + c) * KH * KW + k]; }
    // win[ky] holds input row oy0 + r - padH + ky while output row oy0 + r is summed.
    var win: array<array<f32, ROW>, MAX_K>;
    for (var ky = 1u; ky < KH; ky++) { win[ky] = inputRow(xPlane, iyTop + i32(ky) - 1, ix0); }
    sumRow(&acc, 0u, &win, &wk, xPlane, iyTop, ix0);
    if (ROWS > 1u) { sumRow(&acc, 1u, &win, &wk, xPlane, iyTop, ix0); }
    if (ROWS > 2u) { sumRow(&acc, 2u, &win, &wk, xPlane, iyTop, ix0); }
    if (ROWS > 3u) { sumRow(&acc, 3u, &win, &wk, xPlane, iyTop, ix0); }
    if (ROWS > 4u) { sumRow(&acc, 4u, &win, &wk, xPlane, iyTop, ix0); }
    if (ROWS > 5u) { sumRow(&acc, 5u, &win, &wk, xPlane, iyTop, ix0); }
    if (ROWS > 6u) { sumRow(&acc, 6u, &win, &wk, xPlane, iyTop, ix0); }
    if (ROWS > 7u) { sumRow(&acc, 7u, &win, &wk, xPlane, iyTop, ix0); }
  }
  for (var r = 0u; r < ROWS; r++) {
    let oy = oy0 + r;
    if (oy >= p.oh) { break; }
    let base = (yPlane * p.oh + oy) * p.ow;
    for (var q = 0u; q < STRIP / 4u; q++) {
      for (var j = 0u; j < 4u; j++) {
        let ox = ox0 + 4u * q + j;
        if (ox < p.ow) { y[base + ox] = acc[r * STRIP / 4u + q][j]; }
      }
    }
  }
}
