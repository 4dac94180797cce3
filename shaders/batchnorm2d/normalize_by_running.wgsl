// batchnorm2d's normalize from the running statistics (included by normalize_running and normalize_running_1_vec4):
// Params, the running statistics' and affine parameters' bindings and the channel's affine as stats_running.wgsl
// forms it, then the body (normalize_body.wgsl). Needs `alias Elem`.
// Bindings: @0 p: Params; @1 x, @2 y (see normalize_body); @3 rm, @4 rv: array<f32> (read), [C] running mean and
// variance; @5 w, @6 b: array<f32> (read), [C] (any buffer when hasWeight / hasBias = 0).
// Params: hw (H*W, in Elems), c (channels), items (Elems per thread), chunks (= ceil(hw / (WG_X * items)) per
// plane), groups (= N * C * chunks), eps, hasWeight, hasBias (0 or 1).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32, eps: f32, hasWeight: u32, hasBias: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> rm: array<f32>;
@group(0) @binding(4) var<storage, read> rv: array<f32>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read> b: array<f32>;

fn affine(ch: u32) -> vec3f {
  let invstd = 1.0 / sqrt(rv[ch] + p.eps);
  let scale = select(invstd, w[ch] * invstd, p.hasWeight == 1u);
  return vec3f(rm[ch], scale, select(0.0, b[ch], p.hasBias == 1u));
}

//!include batchnorm2d/normalize_body
