// A conv input value through the zero padding (included by the conv2d implicit-GEMM shaders).
// Needs the x binding (NCHW f32) and Params fields h, w.

// x at (iy, ix) of the plane starting at `plane`, 0 outside the image; the load index stays in range either way.
fn xAt(plane: u32, iy: i32, ix: i32) -> f32 {
  let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
  return select(0.0, x[plane + u32(select(0, iy * i32(p.w) + ix, inside))], inside);
}
