// avgpool2d.forward_1_unrolled: as forward.wgsl (row-major window sum, then one division by PyTorch's divisor:
// divisorOverride if not 0; else with countIncludePad the window clipped to the padded input; else its real
// elements), laid out for lavapipe: each 16-wide workgroup takes a chunk of one plane's outputs, each thread loops
// over `items` of them, and the KH x KW window taps are unrolled (override constants).
// Bindings: @0 p: Params; @1 x: array<f32> NCHW [planes, h, w] (read); @2 y: array<f32> [N, cy, oh, ow], this pool's
// channels at [offset, offset + c) (read_write); @3 stats: array<f32> [5, C] (read),
// batchnorm2d's rows mean, var, invstd, scale, beta (read only when BN_RELU = 1).
// Params: planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw (always 1), c, cy, offset (as forward.wgsl),
// countIncludePad (0 or 1), divisorOverride (i32, 0: none), items (outputs per thread), blocks (chunks per plane),
// groups (= planes * blocks).
// Needs oh * ow < 2^22 (the float division below).
// Workgroup: WG_X threads; grid = linearGrid(groups); override constants KH = kh, KW = kw.
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32,
                countIncludePad: u32, divisorOverride: i32, items: u32, blocks: u32, groups: u32 }

override WG_X: u32;
override KH: u32;
override KW: u32;
// 1: pool relu(batchnorm2d(x)), normalised per tap from batchnorm2d's stats rows, so the normalised map is never
// written (concat_pool2d with a fused batch norm); 0: pool x.
override BN_RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;

// The fused batch norm's mean, scale and beta for the plane being pooled (BN_RELU = 1; see setPlane).
var<private> bn: vec3f;

fn setPlane(plane: u32) {
  if (BN_RELU == 1u) {
    let ch = plane % p.c;
    bn = vec3f(stats[ch], stats[3u * p.c + ch], stats[4u * p.c + ch]);
  }
}

// The value the pool sees at x[i]: x itself, or relu(batchnorm2d(x)) with the normalize pass's arithmetic.
fn tap(i: u32) -> f32 {
  let v = x[i];
  if (BN_RELU == 1u) { return max((v - bn.x) * bn.y + bn.z, 0.0); }
  return v;
}

// a / s for a < 2^22 given inv = 1 / f32(s) (see maxpool2d/forward_1_unrolled.wgsl).
fn quot(a: u32, inv: f32) -> u32 {
  return u32((f32(a) + 0.5) * inv);
}

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

// Plane of y (and dy) that plane n*c + ch of x pools into: channel offset + ch of a [N, cy, oh, ow] tensor.
fn yPlane(plane: u32) -> u32 {
  let n = plane / p.c;
  return n * p.cy + p.offset + (plane - n * p.c);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.blocks;
  let per = p.oh * p.ow;
  let first = (g - plane * p.blocks) * p.items * WG_X;
  let end = min(first + p.items * WG_X, per);
  let xBase = plane * p.h * p.w;
  let yBase = yPlane(plane) * per;
  setPlane(plane);
  let invOw = 1.0 / f32(p.ow);
  for (var q = first + lid; q < end; q += WG_X) {
    let oy = quot(q, invOw);
    let ox = q - oy * p.ow;
    let r = span(oy, p.sh, p.ph, p.kh, p.h);
    let c = span(ox, p.sw, p.pw, p.kw, p.w);
    var sum = 0.0;
    for (var ky = 0u; ky < KH; ky++) {
      let iy = r.x + i32(ky);
      for (var kx = 0u; kx < KW; kx++) {
        let ix = c.x + i32(kx);
        if (iy >= r.z && iy < r.w && ix >= c.z && ix < c.w) {
          sum += tap(xBase + u32(iy) * p.w + u32(ix));
        }
      }
    }
    y[yBase + q] = select(sum / divisor(r, c), 0.0, r.z >= r.w || c.z >= c.w);
  }
}
