// batchnorm2d.normalize (vec4 variant): as normalize.wgsl, y = (x - mean[c]) * scale[c] + beta[c], for H*W a
// multiple of 4, reading and writing vec4s (a quarter of lavapipe's gathers and scattered stores). RELU = 1 writes
// max(y, 0) (batchnorm2d_relu).
// Bindings: @0 p: Params; @1 x: array<vec4f> (read), NCHW f32 viewed as vec4s; @2 stats: array<f32> (read),
// [5, C] rows mean, var, invstd, scale, beta; @3 y: array<vec4f> (read_write), like x.
// Params: hw (H*W / 4, vec4s per plane), c (channels), items (vec4s per thread), chunks (= ceil(hw / (WG_X *
// items)) per plane), groups (= N * C * chunks).
// Workgroup: WG_X threads, each `items` vec4s of one plane chunk strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

alias Elem = vec4f;
override WG_X: u32;
// 1: fused ReLU, y = max(y, 0) (batchnorm2d_relu); 0: plain batch norm.
override RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;

fn affine(ch: u32) -> vec3f {
  return vec3f(stats[ch], stats[3u * p.c + ch], stats[4u * p.c + ch]);
}

//!include batchnorm2d/normalize_body
