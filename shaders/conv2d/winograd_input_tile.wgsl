// Winograd F(4x4, 3x3)'s input transform of one tile (forward_8_winograd_input, backward_weight_7_winograd_x): the
// 6x6 patch of x a 4x4 output tile reads, as B^T d B. Needs `x: array<f32>` and the Params fields h, w, padH, padW,
// tilesW.

/** B^T d for one row or column d of 6: the rows of B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *  0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]. */
fn transform(d: array<f32, 6>) -> array<f32, 6> {
  let a = d[4] - 4.0 * d[2];
  let b = d[3] - 4.0 * d[1];
  let c = d[4] - d[2];
  let e = 2.0 * (d[3] - d[1]);
  return array<f32, 6>(4.0 * d[0] - 5.0 * d[2] + d[4], a + b, a - b, c + e, c - e, 4.0 * d[1] - 5.0 * d[3] + d[5]);
}

/** The 36 transformed values of tile t of input plane `plane` (B^T down each column of the patch, then across rows). */
fn tile(plane: u32, t: u32) -> array<f32, 36> {
  let top = i32(4u * (t / p.tilesW)) - i32(p.padH);
  let left = i32(4u * (t % p.tilesW)) - i32(p.padW);
  let base = plane * p.h * p.w;
  var cols = array<array<f32, 6>, 6>();
  for (var b = 0; b < 6; b++) {
    let col = left + b;
    var d = array<f32, 6>();
    for (var a = 0; a < 6; a++) {
      let row = top + a;
      let inside = row >= 0 && row < i32(p.h) && col >= 0 && col < i32(p.w);
      d[a] = select(0.0, x[base + select(0u, u32(row) * p.w + u32(col), inside)], inside);
    }
    cols[b] = transform(d);
  }
  var out = array<f32, 36>();
  for (var a = 0; a < 6; a++) {
    let row = transform(array<f32, 6>(cols[0][a], cols[1][a], cols[2][a], cols[3][a], cols[4][a], cols[5][a]));
    for (var b = 0; b < 6; b++) { out[6 * a + b] = row[b]; }
  }
  return out;
}
