// batchnorm2d.backward_reduce (vec4 variant): as backward_reduce.wgsl, for H*W a multiple of 4, reading x and dy
// as vec4s. Each workgroup reduces one chunk of WG_X * items consecutive vec4s of one (n, c) plane to
// (sum dy, sum dy * (x - mean)); thread 0 adds the WG_X thread sums in order (deterministic). RELU = 1 masks dy by
// (x - mean) * scale + beta > 0 first, as backward_reduce.wgsl.
// Bindings: @0 p: Params; @1 x: array<vec4f> (read), NCHW f32 viewed as vec4s (the forward input); @2 dy:
// array<vec4f> (read), like x; @3 stats: array<f32> (read), [5, C] rows mean, ...; @4 part: array<vec2f>
// (read_write), [N*C*chunks], index (n * C + c) * chunks + chunk.
// Params: hw (H*W / 4, vec4s per plane), c (channels), items (vec4s per thread), chunks (= ceil(hw / (WG_X *
// items))), groups (= N * C * chunks).
// Workgroup: WG_X threads, each `items` vec4s strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

override WG_X: u32;
// 1: dy is masked by the fused ReLU's y_pre > 0 (batchnorm2d_relu); 0: plain batch norm.
override RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<vec2f>;

var<workgroup> acc: array<vec2f, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let ch = plane % p.c;
  let mean = stats[ch];
  let scale = stats[3u * p.c + ch];
  let beta = stats[4u * p.c + ch];
  let start = (g - plane * p.chunks) * WG_X * p.items + lid;
  let base = plane * p.hw;
  var sumDy = vec4f(0.0);
  var sumDyXc = vec4f(0.0);
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) {
      let xc = x[base + s] - mean;
      var d = dy[base + s];
      if (RELU == 1u) { d = select(vec4f(0.0), d, xc * scale + beta > vec4f(0.0)); }
      sumDy += d;
      sumDyXc += d * xc;
    }
  }
  acc[lid] = vec2f(dot(sumDy, vec4f(1.0)), dot(sumDyXc, vec4f(1.0)));
  workgroupBarrier();
  if (lid == 0u) {
    var r = acc[0];
    for (var k = 1u; k < WG_X; k++) { r += acc[k]; }
    part[g] = r;
  }
}
