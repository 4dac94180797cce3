// maxpool2d.backward: dx[iy, ix] = sum of dy over the windows whose saved maximum idx is (iy, ix); a gather, one
// input element per thread, so it is deterministic and needs no atomics. Overlapping windows (stride < kernel) each
// add their dy, in row-major output order (the order PyTorch's CPU kernel adds them). Overwrites dx.
// Bindings: @0 p: Params; @1 idx: array<u32> [planes, oh, ow] (read, from maxpool2d.forward); @2 dy: array<f32>
// [N, cy, oh, ow], this pool's channels at [offset, offset + c) (read); @3 dx: array<f32> NCHW [planes, h, w]
// (read_write).
// Params: planes (N*C), h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, c, cy, offset (as maxpool2d.forward).
// Workgroup: WG_X threads, one input element each; grid = linearGrid(ceil(planes * h * w / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// Outputs o in [0, n) whose window (o*s - pad + k*d, k < kern) has a tap on padded position r = i + pad:
// o*s <= r <= o*s + (kern-1)*d, and (r - o*s) a multiple of d.
fn windows(r: u32, n: u32, kern: u32, s: u32, d: u32) -> vec2u {
  let reach = (kern - 1u) * d;
  let lo = select(0u, (r - reach + s - 1u) / s, r > reach);
  return vec2u(lo, min(r / s + 1u, n));
}

//!include pool2d/slot

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.planes * p.h * p.w) { return; }
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let ry = iy + p.ph;
  let rx = ix + p.pw;
  let rows = windows(ry, p.oh, p.kh, p.sh, p.dh);
  let cols = windows(rx, p.ow, p.kw, p.sw, p.dw);
  let me = iy * p.w + ix;
  let base = plane * p.oh * p.ow;
  let dyBase = yPlane(plane) * p.oh * p.ow;
  var g = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    if (p.dh > 1u && (ry - oy * p.sh) % p.dh != 0u) { continue; }
    for (var ox = cols.x; ox < cols.y; ox++) {
      if (p.dw > 1u && (rx - ox * p.sw) % p.dw != 0u) { continue; }
      let o = oy * p.ow + ox;
      if (idx[base + o] == me) { g += dy[dyBase + o]; }
    }
  }
  dx[i] = g;
}
