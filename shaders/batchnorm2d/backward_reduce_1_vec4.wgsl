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

fn dyAt(plane: u32, s: u32) -> vec4f { return dy[plane * p.hw + s]; }

//!include batchnorm2d/backward_reduce_vec4_body
