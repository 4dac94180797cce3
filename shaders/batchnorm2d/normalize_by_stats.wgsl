// batchnorm2d's normalize from the stats rows (included by normalize and normalize_1_vec4): Params, the stats
// binding and the channel's affine, then the body (normalize_body.wgsl). Needs `alias Elem`.
// Bindings: @0 p: Params; @1 x, @2 y (see normalize_body); @3 stats: array<f32> (read), [5, C] rows mean, var,
// invstd, scale, beta.
// Params: hw (H*W, in Elems), c (channels), items (Elems per thread), chunks (= ceil(hw / (WG_X * items)) per
// plane), groups (= N * C * chunks).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> stats: array<f32>;

fn affine(ch: u32) -> vec3f {
  return vec3f(stats[ch], stats[3u * p.c + ch], stats[4u * p.c + ch]);
}

//!include batchnorm2d/normalize_body
