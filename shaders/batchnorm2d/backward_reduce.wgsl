// batchnorm2d.backward_reduce: first pass of the backward sums, for any H*W (backward_reduce_1_vec4 is the faster
// variant when H*W is a multiple of 4). Each workgroup reduces one chunk of WG_X * items consecutive elements of
// one (n, c) plane to (sum dy, sum dy * (x - mean)); thread 0 adds the WG_X thread sums in order (deterministic);
// backward_finalize adds the N * chunks partials of each channel. Centring x on the saved mean keeps the second
// sum accurate.
// With RELU = 1 (batchnorm2d_relu) dy is first masked by the ReLU: dy * (y_pre > 0), y_pre = (x - mean) * scale +
// beta recomputed exactly as normalize computed it (so the mask matches the forward's zeros; 0 at y_pre = 0, as
// PyTorch), instead of keeping the output alive for the backward.
// Bindings: @0 p: Params; @1 x: array<f32> (read), NCHW f32 (the forward input); @2 dy: array<f32> (read), NCHW
// f32; @3 stats: array<f32> (read), [5, C] rows mean, ... as the forward wrote them; @4 part: array<vec2f>
// (read_write), [N*C*chunks], index (n * C + c) * chunks + chunk.
// Params: hw (H*W), c (channels), items (elements per thread), chunks (= ceil(hw / (WG_X * items))),
// groups (= N * C * chunks).
// Workgroup: WG_X threads, each `items` elements strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

override WG_X: u32;
// 1: dy is masked by the fused ReLU's y_pre > 0 (batchnorm2d_relu); 0: plain batch norm.
override RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<vec2f>;

//!include batchnorm2d/part_sum

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
  var sum = vec2f(0.0);
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) {
      let xc = x[base + s] - mean;
      var d = dy[base + s];
      if (RELU == 1u) { d = select(0.0, d, xc * scale + beta > 0.0); }
      sum += vec2f(d, d * xc);
    }
  }
  storePartSum(g, lid, sum);
}
