// batchnorm2d.stats_running: the stats rows for eval mode, from the running statistics instead of the batch.
// Bindings: @0 p: Params; @1 rm: array<f32> (read), [C] running mean; @2 rv: array<f32> (read), [C] running var;
// @3 w: array<f32> (read), [C] (any buffer when hasWeight = 0); @4 b: array<f32> (read), [C] (any buffer when
// hasBias = 0); @5 stats: array<f32> (read_write), [5, C] rows mean, var, invstd = 1 / sqrt(var + eps),
// scale = w * invstd, beta = b (or 0), as stats_finalize writes them.
// Params: c (channels), eps, hasWeight, hasBias (0 or 1).
// Workgroup: WG_X threads, one channel each; grid = linearGrid(ceil(c / WG_X)).
struct Params { c: u32, eps: f32, hasWeight: u32, hasBias: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rm: array<f32>;
@group(0) @binding(2) var<storage, read> rv: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let ch = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (ch >= p.c) { return; }
  let invstd = 1.0 / sqrt(rv[ch] + p.eps);
  var scale = invstd;
  if (p.hasWeight == 1u) { scale = w[ch] * invstd; }
  var beta = 0.0;
  if (p.hasBias == 1u) { beta = b[ch]; }
  stats[ch] = rm[ch];
  stats[p.c + ch] = rv[ch];
  stats[2u * p.c + ch] = invstd;
  stats[3u * p.c + ch] = scale;
  stats[4u * p.c + ch] = beta;
}
