// batchnorm2d.backward_input_pooled: backward_input_1_vec4 with the ReLU mask (RELU = 1) for a batch norm + ReLU
// whose output only a pool reads (concat_pool2d): dy is gathered from the pool's gradient (pooled_dy.wgsl), so the
// pool's input gradient is never written or read. Same dx as the pool's backward followed by
// backward_input_relu_1_vec4.
// Bindings: @0 p: Params; @1 x: array<vec4f> (read), NCHW f32 viewed as vec4s (the batch norm's input); @2 pdy:
// array<f32> (read), [N, cy, oh, ow]; @3 idx: array<u32> (read), [N, C, oh, ow] (any buffer when MAX = 0); @4 coef:
// array<f32> (read), [5, C] rows mean, k_dy, k_x, k_0, beta; @5 dx: array<vec4f> (read_write), like x.
// Params: as backward_reduce_pooled.wgsl.
// Workgroup: WG_X threads, each `items` vec4s of one plane chunk strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32, oh: u32, ow: u32, cy: u32, offset: u32, divisor: f32 }

override WG_X: u32;
override RELU: u32 = 1u;
// 1: max pooling (idx says where each window's maximum sat); 0: average pooling.
override MAX: u32 = 1u;
// The pooled input's width (a multiple of 4) and the pool's kernel and stride.
override W: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> pdy: array<f32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;
@group(0) @binding(4) var<storage, read> coef: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<vec4f>;

//!include batchnorm2d/pooled_dy

//!include batchnorm2d/backward_input_vec4_body
