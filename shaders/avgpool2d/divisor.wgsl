// Average pooling's windows and divisors (included by the avgpool2d shaders), PyTorch's rules: a window may run into
// the padding (counted when countIncludePad = 1) but not past it, and divisorOverride, when not 0, replaces both.
// Needs Params fields countIncludePad, divisorOverride.

// The window of output o along one axis, clipped to the padded input (xy) and to the input (zw).
fn span(o: u32, s: u32, pad: u32, k: u32, n: u32) -> vec4i {
  let start = i32(o * s) - i32(pad);
  let end = min(start + i32(k), i32(n + pad));
  return vec4i(start, end, max(start, 0), min(end, i32(n)));
}

fn divisor(r: vec4i, c: vec4i) -> f32 {
  if (p.divisorOverride != 0) { return f32(p.divisorOverride); }
  if (p.countIncludePad != 0u) { return f32((r.y - r.x) * (c.y - c.x)); }
  return f32((r.w - r.z) * (c.w - c.z));
}
