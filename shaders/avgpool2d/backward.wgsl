// avgpool2d.backward: dx[iy, ix] = sum over the windows containing (iy, ix) of dy / divisor, the divisor as in
// avgpool2d.forward (override, or the window clipped to the padded input, or its real elements). A gather, one input
// element per thread: deterministic, no atomics; overlapping windows add in row-major output order, as PyTorch's CPU
// kernel. Overwrites dx.
// Bindings: @0 p: Params; @1 dy: array<f32> [N, cy, oh, ow], this pool's channels at [offset, offset + c) (read);
// @2 dx: array<f32> NCHW [planes, h, w] (read_write).
// Params: planes (N*C), h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw (always 1), c, cy, offset (as
// avgpool2d.forward), countIncludePad (0 or 1),
// divisorOverride (i32, 0: none).
// Workgroup: WG_X threads, one input element each; grid = linearGrid(ceil(planes * h * w / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32, countIncludePad: u32, divisorOverride: i32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

//!include avgpool2d/divisor
//!include pool2d/slot

// Outputs o in [0, n) whose window [o*s, o*s + k) (in padded coordinates) contains padded position r.
fn windows(r: u32, n: u32, k: u32, s: u32) -> vec2u {
  let lo = select(0u, (r - k + s) / s, r >= k);
  return vec2u(lo, min(r / s + 1u, n));
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.planes * p.h * p.w) { return; }
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let rows = windows(iy + p.ph, p.oh, p.kh, p.sh);
  let cols = windows(ix + p.pw, p.ow, p.kw, p.sw);
  let base = yPlane(plane) * p.oh * p.ow;
  var g = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    let r = span(oy, p.sh, p.ph, p.kh, p.h);
    for (var ox = cols.x; ox < cols.y; ox++) {
      g += dy[base + oy * p.ow + ox] / divisor(r, span(ox, p.sw, p.pw, p.kw, p.w));
    }
  }
  dx[i] = g;
}
