// adaptive_avgpool2d.backward: dx[iy, ix] = sum over the windows containing (iy, ix) of dy / rows / cols (each
// window's size, as PyTorch divides). Window oy covers rows [floor(oy*h/oh), ceil((oy+1)*h/oh)), so row iy lies in
// the windows oy in [floor(iy*oh/h), ceil((iy+1)*oh/h)). A gather, one input element per thread: deterministic, no
// atomics; overlapping windows add in row-major output order. Overwrites dx.
// Bindings: @0 p: Params; @1 dy: array<f32> [planes, oh, ow] (read); @2 dx: array<f32> NCHW [planes, h, w]
// (read_write).
// Params: planes (N*C), h, w, oh, ow.
// Workgroup: WG_X threads, one input element each; grid = linearGrid(ceil(planes * h * w / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// Size of window o of n over an axis of `size` input elements.
fn extent(o: u32, n: u32, size: u32) -> f32 {
  return f32(((o + 1u) * size + n - 1u) / n - o * size / n);
}

// [first, last + 1) of the windows of n over an axis of `size` that contain position i.
fn windows(i: u32, n: u32, size: u32) -> vec2u {
  return vec2u(i * n / size, ((i + 1u) * n + size - 1u) / size);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.planes * p.h * p.w) { return; }
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let rows = windows(iy, p.oh, p.h);
  let cols = windows(ix, p.ow, p.w);
  let base = plane * p.oh * p.ow;
  var g = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    let kh = extent(oy, p.oh, p.h);
    for (var ox = cols.x; ox < cols.y; ox++) {
      g += dy[base + oy * p.ow + ox] / kh / extent(ox, p.ow, p.w);
    }
  }
  dx[i] = g;
}
