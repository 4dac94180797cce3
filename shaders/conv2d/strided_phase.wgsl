// A strided input gradient's run within its phase, and dy through its edges (included by backward_input_2_strided
// and backward_input_3_strided_subgroup; see the former for the phases). Needs the dy and dx bindings, Params fields
// cin, h, w, oh, ow, strideH, strideW, padH, padW, runsPerRow, rowsJ, and the overrides TM and QPL.

// The run's image n, input row iy and first phase column i0, its phase column px, and the phase's tap offsets ry, rx
// (taps ky = ry + strideH*a, kx = rx + strideW*b reach it) with the dy row and column of tap 0 at i0.
struct PhaseRun { n: u32, iy: u32, i0: u32, px: u32, ry: u32, rx: u32, oyBase: i32, oxBase: i32 }

// Run `run` (i0 fastest, then phase rows j, then images) of phase `phase` (= py * strideW + px).
fn phaseRun(run: u32, phase: u32) -> PhaseRun {
  let i0 = (run % p.runsPerRow) * 4u * QPL;
  let j = (run / p.runsPerRow) % p.rowsJ;
  let n = run / (p.runsPerRow * p.rowsJ);
  let px = phase % p.strideW;
  let py = phase / p.strideW;
  let ry = (py + p.padH) % p.strideH;
  let rx = (px + p.padW) % p.strideW;
  let oyBase = i32(j) + i32((py + p.padH - ry) / p.strideH);
  let oxBase = i32(i0) + i32((px + p.padW - rx) / p.strideW);
  return PhaseRun(n, py + p.strideH * j, i0, px, ry, rx, oyBase, oxBase);
}

// dy at (oy, ox) of the plane starting at `plane`, 0 outside it; the load index stays in range either way.
fn dyAt(plane: u32, oy: i32, ox: i32) -> f32 {
  let inside = oy >= 0 && oy < i32(p.oh) && ox >= 0 && ox < i32(p.ow);
  return select(0.0, dy[plane + u32(select(0, oy * i32(p.ow) + ox, inside))], inside);
}

// The run's sums acc[m * QPL + q] (input channels c0 .. c0 + rows - 1, the run's 4*QPL phase columns) into dx, past
// the input's last column skipped. Constant loop bounds keep acc in registers (a runtime index would move it to
// memory).
fn storeRun(acc: ptr<function, array<vec4f, 32>>, r: PhaseRun, c0: u32, rows: u32) {
  for (var m = 0u; m < TM; m++) {
    if (m >= rows) { continue; }
    let base = ((r.n * p.cin + c0 + m) * p.h + r.iy) * p.w;
    for (var q = 0u; q < QPL; q++) {
      for (var l = 0u; l < 4u; l++) {
        let ix = r.px + p.strideW * (r.i0 + 4u * q + l);
        if (ix < p.w) { dx[base + ix] = (*acc)[m * QPL + q][l]; }
      }
    }
  }
}
