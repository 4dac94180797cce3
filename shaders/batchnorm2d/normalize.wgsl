// batchnorm2d.normalize: y = (x - mean[c]) * scale[c] + beta[c], scale = w * invstd, from the stats rows (batch or
// running statistics), for any H*W (normalize_1_vec4 is the faster variant when H*W is a multiple of 4).
// With RELU = 1 (batchnorm2d_relu) it writes max(y, 0) instead, the ReLU fused into the same pass.
// Bindings: @0 p: Params; @1 x: array<f32> (read), NCHW f32; @2 stats: array<f32> (read), [5, C] rows mean, var,
// invstd, scale, beta; @3 y: array<f32> (read_write), NCHW f32 like x.
// Params: hw (H*W), c (channels), items (elements per thread), chunks (= ceil(hw / (WG_X * items)) per plane),
// groups (= N * C * chunks).
// Workgroup: WG_X threads, each `items` elements of one plane chunk strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

alias Elem = f32;
override WG_X: u32;
// 1: fused ReLU, y = max(y, 0) (batchnorm2d_relu); 0: plain batch norm.
override RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn affine(ch: u32) -> vec3f {
  return vec3f(stats[ch], stats[3u * p.c + ch], stats[4u * p.c + ch]);
}

//!include batchnorm2d/normalize_body
