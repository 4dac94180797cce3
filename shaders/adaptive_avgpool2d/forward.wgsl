// adaptive_avgpool2d.forward: y[oy, ox] = mean of x over rows [floor(oy*h/oh), ceil((oy+1)*h/oh)) and columns
// [floor(ox*w/ow), ceil((ox+1)*w/ow)), PyTorch's windows (they overlap when h is not a multiple of oh). The sum runs
// in row-major order and is divided by the row count, then by the column count (as PyTorch's CPU kernel).
// Bindings: @0 p: Params; @1 x: array<f32> NCHW [planes, h, w] (read); @2 y: array<f32> [planes, oh, ow] (read_write).
// Params: planes (N*C), h, w, oh, ow.
// Workgroup: WG_X threads, one output element each; grid = linearGrid(ceil(planes * oh * ow / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// [start, end) of window o of n over an axis of `size` input elements.
fn window(o: u32, n: u32, size: u32) -> vec2u {
  return vec2u(o * size / n, ((o + 1u) * size + n - 1u) / n);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.planes * p.oh * p.ow) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let plane = i / (p.ow * p.oh);
  let r = window(oy, p.oh, p.h);
  let c = window(ox, p.ow, p.w);
  let base = plane * p.h * p.w;
  var sum = 0.0;
  for (var iy = r.x; iy < r.y; iy++) {
    for (var ix = c.x; ix < c.y; ix++) {
      sum += x[base + iy * p.w + ix];
    }
  }
  y[i] = sum / f32(r.y - r.x) / f32(c.y - c.x);
}
