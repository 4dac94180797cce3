// batchnorm2d.backward_reduce: first pass of the backward sums, for any H*W (backward_reduce_1_vec4 is the faster
// variant when H*W is a multiple of 4). Each workgroup reduces one chunk of WG_X * items consecutive elements of
// one (n, c) plane to (sum dy, sum dy * (x - mean)); thread 0 adds the WG_X thread sums in order (deterministic);
// backward_finalize adds the N * chunks partials of each channel. Centring x on the saved mean keeps the second
// sum accurate.
// Bindings: @0 p: Params; @1 x: array<f32> (read), NCHW f32 (the forward input); @2 dy: array<f32> (read), NCHW
// f32; @3 stats: array<f32> (read), [5, C] rows mean, ... as the forward wrote them; @4 part: array<vec2f>
// (read_write), [N*C*chunks], index (n * C + c) * chunks + chunk.
// Params: hw (H*W), c (channels), items (elements per thread), chunks (= ceil(hw / (WG_X * items))),
// groups (= N * C * chunks).
// Workgroup: WG_X threads, each `items` elements strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<vec2f>;

var<workgroup> acc: array<vec2f, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let mean = stats[plane % p.c];
  let start = (g - plane * p.chunks) * WG_X * p.items + lid;
  let base = plane * p.hw;
  var sum = vec2f(0.0);
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) {
      let d = dy[base + s];
      sum += vec2f(d, d * (x[base + s] - mean));
    }
  }
  acc[lid] = sum;
  workgroupBarrier();
  if (lid == 0u) {
    var r = acc[0];
    for (var k = 1u; k < WG_X; k++) { r += acc[k]; }
    part[g] = r;
  }
}
