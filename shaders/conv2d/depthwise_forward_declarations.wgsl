// What forward_6_depthwise and forward_6_depthwise_multi_body declare alike (included by both): Params (the conv
// shape, hasBias, strips, rowsPerChunk, chunks; see forward_6_depthwise), the overrides WG_X, STRIP, KH and KW, and
// bindings @0-@4 (p, x, w, b, y).
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  hasBias: u32, strips: u32, rowsPerChunk: u32, chunks: u32,
}

override WG_X: u32;
override STRIP: u32 = 8u;
override KH: u32 = 3u;
override KW: u32 = 3u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
