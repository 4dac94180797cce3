// conv2d.forward (variant 7, input patch in workgroup memory): the same result as forward.wgsl for ungrouped convs
//   at stride 1 and dilation 1 with few input channels (CNN-X's 1-channel 3x3, 5x5 and 9x9). There K is a few dozen,
//   so a GEMM's tiles are mostly padding, and forward_2_gemm's threads, each owning a run of 16 pixels, load and
//   store 64 bytes apart: on a hardware GPU every warp's store then touches 32 separate sectors.
//   Each workgroup computes a TH x TW block of output pixels of one image for TM = 16 output channels. Per input channel
//   it stages the block's input patch, (TH + kh - 1) x (TW + kw - 1) values through the zero padding, and the TM x
//   kh x kw weights in workgroup memory; each thread then owns 4 neighbouring pixels of one row and slides a window
//   along the kernel row, loading one new input and TM/4 vec4s of weights (the same for every thread: broadcasts)
//   per tap for 64 FMAs. Neighbouring threads own neighbouring pixels, so a warp stores whole 128-byte rows.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 w: OIHW f32 [cout, cin, kh, kw] (read);
//   @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32 [batch, cout, oh, ow] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   groups, stride and dilation 1, kh and kw <= MAX_K, kh * kw <= MAX_TAPS), hasBias, mBlocks (= ceil(cout / TM)),
//   tilesX (= ceil(ow / TW)), tilesY (= ceil(oh / TH)).
// Workgroup: TH * TW / 4 = 128 threads.
// Grid: linearGrid(tilesX * tilesY * batch * mBlocks), blocks fastest, then images, then channel blocks.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn out(inside: bool, at: u32, ox: u32, co: u32, v: vec4f) {
  if (co < p.cout) { _ = store(inside, at, ox, co, v); }
}

fn finish(lid: u32, n: u32, block: u32, m0: u32) {}

//!include conv2d/forward_7_patch_body
