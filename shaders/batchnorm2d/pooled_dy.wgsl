// The output gradient of a batch norm + ReLU whose output only a pool reads (included by the *_pooled backward
// passes), gathered from the pool's gradient instead of a materialised map: for a pool whose windows do not overlap
// and lie inside the input (no padding, dilation 1, kernel <= stride, floor mode), input e = iy * W + ix of plane
// n * C + c belongs to window (iy / SH, ix / SW) at most, and gets that window's dy where its maximum sat on e (MAX
// = 1: idx holds each window's argmax as iy * W + ix, from maxpool2d.forward) or dy / divisor (MAX = 0): the value
// the pool's own backward writes. dy is channels [offset, offset + C) of a [N, cy, oh, ow] gradient (the
// concat_pool2d slot). The pool's shape is override constants, so its divisions compile to multiplies.
// Needs Params fields c, oh, ow, cy, offset, divisor; bindings pdy: array<f32> and idx: array<u32>; overrides MAX,
// W (a multiple of 4: a vec4 lies in one row), KH, KW, SH, SW.

// The gradient of vec4 s of the plane (elements 4s .. 4s + 3, one row): zero in rows no window covers, and each
// window's dy and argmax loaded once for the lanes it covers.
fn dyAt(plane: u32, s: u32) -> vec4f {
  let e = 4u * s;
  let iy = e / W;
  let oy = iy / SH;
  var d = vec4f(0.0);
  if (iy - oy * SH >= KH || oy >= p.oh) { return d; }
  let ix = e - iy * W;
  let n = plane / p.c;
  let dyRow = ((n * p.cy + p.offset + plane - n * p.c) * p.oh + oy) * p.ow;
  let idxRow = (plane * p.oh + oy) * p.ow;
  var loaded = 0xffffffffu;
  var v = 0.0;
  var at = 0u;
  for (var k = 0u; k < 4u; k++) {
    let ox = (ix + k) / SW;
    if (ix + k - ox * SW < KW && ox < p.ow) {
      if (ox != loaded) {
        v = pdy[dyRow + ox];
        if (MAX == 1u) { at = idx[idxRow + ox]; }
        loaded = ox;
      }
      if (MAX == 1u) { d[k] = select(0.0, v, at == e + k); } else { d[k] = v / p.divisor; }
    }
  }
  return d;
}
