// batchnorm2d.backward_input (vec4 variant): as backward_input.wgsl, dx = k_dy[c] * dy + k_x[c] * (x - mean[c])
// + k_0[c], for H*W a multiple of 4, reading and writing vec4s. Overwrites dx. RELU = 1 masks dy first, as
// backward_input.wgsl.
// Bindings: @0 p: Params; @1 x: array<vec4f> (read), NCHW f32 viewed as vec4s (the forward input); @2 dy:
// array<vec4f> (read), like x; @3 coef: array<f32> (read), [5, C] rows mean, k_dy, k_x, k_0, beta; @4 dx: array<vec4f>
// (read_write), like x.
// Params: hw (H*W / 4, vec4s per plane), c (channels), items (vec4s per thread), chunks (= ceil(hw / (WG_X *
// items)) per plane), groups (= N * C * chunks).
// Workgroup: WG_X threads, each `items` vec4s of one plane chunk strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

override WG_X: u32;
// 1: dy is masked by the fused ReLU's y_pre > 0 (batchnorm2d_relu); 0: plain batch norm.
override RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read> coef: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<vec4f>;

fn dyAt(plane: u32, s: u32) -> vec4f { return dy[plane * p.hw + s]; }

//!include batchnorm2d/backward_input_vec4_body
