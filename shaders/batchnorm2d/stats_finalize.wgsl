// batchnorm2d.stats_finalize: second pass of the batch statistics. One workgroup per channel merges that channel's
// N * chunks partials (count, mean, M2) from stats_partial with Chan et al.'s formula, in a fixed order (each
// thread a strided run, then a tree), so the result is deterministic. Writes the stats rows the other passes read.
// Numeric convention: var is the BIASED variance M2 / count (used to normalise); invstd = 1 / sqrt(var + eps).
// With track = 1 it also updates the running statistics in place, as PyTorch: running = (1 - momentum) * running +
// momentum * stat, the variance folded in being the UNBIASED one, var * count / (count - 1).
// Bindings: @0 p: Params; @1 part: array<vec4f> (read), [N*C*chunks] as stats_partial writes it; @2 w: array<f32>
// (read), [C] (any buffer when hasWeight = 0); @3 b: array<f32> (read), [C] (any buffer when hasBias = 0);
// @4 stats: array<f32> (read_write), [5, C] rows mean, var, invstd, scale = w * invstd, beta = b (or 0);
// @5 rm, @6 rv: array<f32> (read_write), [C] running mean and variance (any writable buffer when track = 0).
// Params: c (channels), chunks (per plane), partials (= N * chunks), eps, hasWeight, hasBias (0 or 1), track (0 or
// 1), momentum, unbias (= count / (count - 1), count = N*H*W).
// Workgroup: WG_X threads (a power of two); grid = linearGrid(c), one workgroup per channel.
struct Params {
  c: u32, chunks: u32, partials: u32, eps: f32, hasWeight: u32, hasBias: u32, track: u32, momentum: f32, unbias: f32,
}

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<vec4f>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> rm: array<f32>;
@group(0) @binding(6) var<storage, read_write> rv: array<f32>;

var<workgroup> acc: array<vec3f, WG_X>;

fn merge(a: vec3f, b: vec3f) -> vec3f {
  let n = a.x + b.x;
  if (n == 0.0) { return a; }
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3f(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x + wid.y * nwg.x;
  if (ch >= p.c) { return; }
  var m = vec3f(0.0);
  for (var i = lid; i < p.partials; i += WG_X) {
    let n = i / p.chunks;
    m = merge(m, part[(n * p.c + ch) * p.chunks + (i - n * p.chunks)].xyz);
  }
  acc[lid] = m;
  workgroupBarrier();
  for (var stride = WG_X / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { acc[lid] = merge(acc[lid], acc[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let r = acc[0];
    let variance = r.z / r.x;
    let invstd = 1.0 / sqrt(variance + p.eps);
    var scale = invstd;
    if (p.hasWeight == 1u) { scale = w[ch] * invstd; }
    var beta = 0.0;
    if (p.hasBias == 1u) { beta = b[ch]; }
    stats[ch] = r.y;
    stats[p.c + ch] = variance;
    stats[2u * p.c + ch] = invstd;
    stats[3u * p.c + ch] = scale;
    stats[4u * p.c + ch] = beta;
    if (p.track == 1u) {
      let keep = 1.0 - p.momentum;
      rm[ch] = keep * rm[ch] + p.momentum * r.y;
      rv[ch] = keep * rv[ch] + p.momentum * (variance * p.unbias);
    }
  }
}
