// depthwise_window.wgsl's input rows read as aligned vec4s where QUADS (included after it by
// forward_6_depthwise_multi and backward_weight_4_depthwise_multi): lavapipe pays per lane and component for a load,
// a vec4 about what two scalars cost. Needs an x4 binding (x as vec4s; any 16 bytes without QUADS); with QUADS,
// Params fields h, w (w % 4 == 0, so a quad is wholly inside the row or wholly outside it), OFF = (-padW) mod 4 (the
// strip's input columns start OFF into the first quad: ix0 is a multiple of 4 less padW) and
// OFF + STRIP + KW - 1 <= MAX_ROW.

override QUADS: bool = false;

// Input row iy of the window, read as QUADS says.
fn windowRow(plane: u32, iy: i32, ix0: i32) -> array<f32, MAX_ROW> {
  if (QUADS) { return inputRowQuads(plane, iy, ix0); }
  return inputRow(plane, iy, ix0);
}

// Input row iy of the plane at `plane` (a multiple of 4), columns ix0 - OFF .. ix0 + STRIP + KW - 2 (0 outside).
fn inputRowQuads(plane: u32, iy: i32, ix0: i32) -> array<f32, MAX_ROW> {
  var row: array<f32, MAX_ROW>;
  for (var i = 0u; i < (OFF + STRIP + KW + 2u) / 4u; i++) {
    let ax = ix0 - i32(OFF) + 4 * i32(i);
    let inside = iy >= 0 && iy < i32(p.h) && ax >= 0 && ax < i32(p.w);
    let v = select(vec4f(0.0), x4[select(0u, (plane + u32(iy) * p.w + u32(ax)) / 4u, inside)], inside);
    // Components past the row (constant once the loop is unrolled) are dropped.
    for (var c = 0u; c < 4u; c++) {
      if (4u * i + c < MAX_ROW) { row[4u * i + c] = v[c]; }
    }
  }
  return row;
}
