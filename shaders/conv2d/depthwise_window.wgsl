// The input rows under a strip of depthwise-conv outputs (included by forward_6_depthwise and
// backward_weight_4_depthwise and their multi siblings). Needs the x binding, Params fields h, w, overrides STRIP and
// KW, and a const MAX_K from the including shader: its largest kernel side, which sizes the rows (7 keeps
// forward_6_depthwise 6% faster on Xception's 147 x 147 than 9 does).
// A strip covers STRIP output columns; with stride 1 and dilation 1 its KW taps read STRIP + KW - 1 input columns.
// A row read in aligned quads (depthwise_window_quads.wgsl) starts OFF columns before the strip's first input column.

const MAX_STRIP = 8u; // wider strips measured no faster: a lane's window then outgrows the registers
const MAX_ROW = MAX_STRIP + MAX_K - 1u;
override OFF: u32 = 0u; // 0 for inputRow; (-padW) mod 4 for inputRowQuads

// Input row iy of the plane at `plane`, columns ix0 .. ix0 + STRIP + KW - 2 (0 outside the image).
fn inputRow(plane: u32, iy: i32, ix0: i32) -> array<f32, MAX_ROW> {
  var row: array<f32, MAX_ROW>;
  for (var j = 0u; j < STRIP + KW - 1u; j++) { row[j] = xAt(plane, iy, ix0 + i32(j)); }
  return row;
}

// The KW - 1 + 4 inputs under output quad q's tap kx, as a vec4 (one per output of the quad).
fn tapQuad(row: array<f32, MAX_ROW>, q: u32, kx: u32) -> vec4f {
  let j = OFF + 4u * q + kx;
  return vec4f(row[j], row[j + 1u], row[j + 2u], row[j + 3u]);
}
