// The body of batchnorm2d's normalize passes (included through normalize_by_stats or normalize_by_running, which
// form each channel's mean, scale and beta): y = (x - mean) * scale + beta per channel, max(y, 0) with RELU = 1;
// each workgroup takes one chunk of one (n, c) plane, so the channel is uniform per workgroup (no division per
// element). Subtracting the mean first keeps y accurate when |mean| is large against the spread.
// Declares the bindings @1 x: array<Elem> (read) and @2 y: array<Elem> (read_write), NCHW f32 (viewed as vec4s when
// Elem is vec4f), and the overrides WG_X and RELU. Needs `alias Elem` (f32 or vec4f), Params fields hw, c, items,
// chunks, groups, and fn affine(ch: u32) -> vec3f, the channel's (mean, scale, beta).

override WG_X: u32;
// 1: fused ReLU, y = max(y, 0) (batchnorm2d_relu); 0: plain batch norm.
override RELU: u32 = 0u;
@group(0) @binding(1) var<storage, read> x: array<Elem>;
@group(0) @binding(2) var<storage, read_write> y: array<Elem>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let a = affine(plane % p.c);
  let start = (g - plane * p.chunks) * WG_X * p.items + lid;
  let base = plane * p.hw;
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) {
      let v = (x[base + s] - a.x) * a.y + a.z;
      if (RELU == 1u) { y[base + s] = max(v, Elem(0.0)); } else { y[base + s] = v; }
    }
  }
}
