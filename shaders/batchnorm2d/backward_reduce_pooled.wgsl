// batchnorm2d.backward_reduce_pooled: backward_reduce_1_vec4 with the ReLU mask (RELU = 1) for a batch norm + ReLU
// whose output only a pool reads (concat_pool2d): dy is gathered from the pool's gradient (pooled_dy.wgsl), so the
// pool's input gradient is never written. Same sums as the pool's backward followed by backward_reduce_relu_1_vec4.
// Bindings: @0 p: Params; @1 x: array<vec4f> (read), NCHW f32 viewed as vec4s (the batch norm's input); @2 pdy:
// array<f32> (read), [N, cy, oh, ow]; @3 idx: array<u32> (read), [N, C, oh, ow] (any buffer when MAX = 0); @4 stats:
// array<f32> (read), [5, C] rows mean, ..., scale, beta; @5 part: array<vec2f> (read_write), [N*C*chunks].
// Params: hw (H*W / 4), c, items, chunks, groups (as backward_reduce_1_vec4); oh, ow (the pool's output), cy, offset
// (its channel slot), divisor (average pooling's; unused when MAX = 1). Overrides: W, KH, KW, SH, SW (pooled_dy).
// Workgroup: WG_X threads, each `items` vec4s strided by WG_X; grid = linearGrid(groups).
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
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<vec2f>;

//!include batchnorm2d/pooled_dy

//!include batchnorm2d/backward_reduce_vec4_body
