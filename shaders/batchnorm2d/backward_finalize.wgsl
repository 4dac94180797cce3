// batchnorm2d.backward_finalize: one workgroup per channel adds that channel's N * chunks partials from
// backward_reduce in a fixed order (strided runs, then a tree: deterministic), giving sum(dy) and
// sum(dy * xhat) = invstd * sum(dy * (x - mean)). Overwrites (does not accumulate) dw = sum(dy * xhat) and
// db = sum(dy), and writes the coefficients of dx = k_dy * dy + k_x * (x - mean) + k_0:
//   training (batch statistics): k_dy = scale, k_x = -scale * invstd * sum(dy * xhat) / M, k_0 = -scale * sum(dy) / M,
//   which is (w * invstd / M) * (M * dy - sum(dy) - xhat * sum(dy * xhat)), M = N*H*W;
//   eval (running statistics are constants): k_dy = scale, k_x = k_0 = 0.
// The fifth row copies beta, for the fused ReLU's mask in backward_input (batchnorm2d_relu).
// With partials = 0 (eval, no dw/db wanted) the sums are 0 and part is not read.
// Bindings: @0 p: Params; @1 part: array<vec2f> (read), [N*C*chunks]; @2 stats: array<f32> (read), [5, C] rows
// mean, var, invstd, scale, beta; @3 coef: array<f32> (read_write), [5, C] rows mean, k_dy, k_x, k_0, beta;
// @4 dw: array<f32> (read_write), [C]; @5 db: array<f32> (read_write), [C].
// Params: c (channels), chunks (per plane), partials (= N * chunks, or 0), count (M as f32), training (0 or 1).
// Workgroup: WG_X threads (a power of two); grid = linearGrid(c), one workgroup per channel.
struct Params { c: u32, chunks: u32, partials: u32, count: f32, training: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<vec2f>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> coef: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;
@group(0) @binding(5) var<storage, read_write> db: array<f32>;

var<workgroup> acc: array<vec2f, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x + wid.y * nwg.x;
  if (ch >= p.c) { return; }
  var sum = vec2f(0.0);
  for (var i = lid; i < p.partials; i += WG_X) {
    let n = i / p.chunks;
    sum += part[(n * p.c + ch) * p.chunks + (i - n * p.chunks)];
  }
  acc[lid] = sum;
  workgroupBarrier();
  for (var stride = WG_X / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { acc[lid] += acc[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let invstd = stats[2u * p.c + ch];
    let scale = stats[3u * p.c + ch];
    let sumDy = acc[0].x;
    let sumDyXhat = acc[0].y * invstd;
    dw[ch] = sumDyXhat;
    db[ch] = sumDy;
    var kx = 0.0;
    var k0 = 0.0;
    if (p.training == 1u) {
      kx = -scale * invstd * sumDyXhat / p.count;
      k0 = -scale * sumDy / p.count;
    }
    coef[ch] = stats[ch];
    coef[p.c + ch] = scale;
    coef[2u * p.c + ch] = kx;
    coef[3u * p.c + ch] = k0;
    coef[4u * p.c + ch] = stats[4u * p.c + ch];
  }
}
