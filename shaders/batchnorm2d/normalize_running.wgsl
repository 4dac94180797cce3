// batchnorm2d.normalize_running: eval mode's normalize in one pass, for any H*W: the channel's mean, scale and beta come
// from the running statistics and the affine parameters (as stats_running.wgsl forms them) instead of a stats
// buffer that a pass of its own would write first. Used when no gradient is recorded (inference, evaluation).
// RELU = 1 writes max(y, 0) (batchnorm2d_relu).
// Bindings: @0 p: Params; @1 x: array<f32> (read), NCHW f32; @2 rm, @3 rv: array<f32> (read), [C] running mean and
// variance; @4 w, @5 b: array<f32> (read), [C] (any buffer when hasWeight / hasBias = 0); @6 y: array<f32>
// (read_write), like x.
// Params: hw (H*W), c (channels), items (elements per thread), chunks (= ceil(hw / (WG_X * items)) per plane),
// groups (= N * C * chunks), eps, hasWeight, hasBias (0 or 1).
// Workgroup: WG_X threads, each `items` elements of one plane chunk strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32, eps: f32, hasWeight: u32, hasBias: u32 }

alias Elem = f32;
override WG_X: u32;
// 1: fused ReLU, y = max(y, 0) (batchnorm2d_relu); 0: plain batch norm.
override RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> rm: array<f32>;
@group(0) @binding(3) var<storage, read> rv: array<f32>;
@group(0) @binding(4) var<storage, read> w: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn affine(ch: u32) -> vec3f {
  let invstd = 1.0 / sqrt(rv[ch] + p.eps);
  let scale = select(invstd, w[ch] * invstd, p.hasWeight == 1u);
  return vec3f(rm[ch], scale, select(0.0, b[ch], p.hasBias == 1u));
}

//!include batchnorm2d/normalize_body
