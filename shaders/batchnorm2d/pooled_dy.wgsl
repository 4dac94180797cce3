// The output gradient of a batch norm + ReLU whose output only a pool reads (included by the *_pooled backward
// passes), gathered from the pool's gradient instead of a materialised map: for a pool whose windows do not overlap
// and lie inside the input (no padding, dilation 1, kernel <= stride, floor mode), input e = iy * W + ix of plane
// n * C + c belongs to window (iy / SH, ix / SW) at most, and gets that window's dy where its maximum sat on e (MAX
// = 1: idx holds each window's argmax as iy * W + ix, from maxpool2d.forward) or dy / divisor (MAX = 0): the value
// the pool's own backward writes. dy is channels [offset, offset + C) of a [N, cy, oh, ow] gradient (the
// concat_pool2d slot). The pool's shape is override constants, so its divisions compile to multiplies.
// Needs Params fields c, oh, ow, cy, offset, divisor; bindings pdy: array<f32> and idx: array<u32>; overrides MAX,
// W (a multiple of 4: a vec4 lies in one row), KH, KW, SH, SW.

// Windows a quad can touch, its first column a multiple of 4 (W is): 4 / SW where SW divides 4, 1 where 4 divides
// SW, else 2 (CNN-X's stride 3).
override NW: u32 = select(select(2u, 1u, SW % 4u == 0u), 4u / SW, 4u % SW == 0u);

// The gradient of vec4 s of the plane (elements 4s .. 4s + 3, one row): zero in rows no window covers; else the NW
// windows from the quad's first column's on are loaded without branches (clamped to the row's last window) and each
// element picks its own. Loading only the windows an element needs, under branches, made CNN-X's 8 pooled backward
// passes 10-13% slower on lavapipe (123-125 against 108-111 ms a step).
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
  let ox0 = ix / SW;
  var v = array<f32, 4>();
  var at = array<u32, 4>();
  for (var j = 0u; j < NW; j++) {
    let ox = min(ox0 + j, p.ow - 1u);
    v[j] = pdy[dyRow + ox];
    if (MAX == 1u) { at[j] = idx[idxRow + ox]; }
  }
  for (var k = 0u; k < 4u; k++) {
    let ox = (ix + k) / SW;
    let j = ox - ox0;
    var vk = v[0];
    var ak = at[0];
    for (var i = 1u; i < NW; i++) {
      vk = select(vk, v[i], j == i);
      ak = select(ak, at[i], j == i);
    }
    let covered = ix + k - ox * SW < KW && ox < p.ow;
    if (MAX == 1u) {
      d[k] = select(0.0, vk, covered && ak == e + k);
    } else {
      d[k] = select(0.0, vk / p.divisor, covered);
    }
  }
  return d;
}
