// batchnorm2d.running_update: in-place momentum update of the running statistics after a training-mode forward,
// as PyTorch: running = (1 - momentum) * running + momentum * stat, where the variance folded into running_var is
// the UNBIASED one, var * count / (count - 1) (the normalisation itself used the biased var).
// Bindings: @0 p: Params; @1 stats: array<f32> (read), [5, C] as stats_finalize writes it (rows mean, var, ...);
// @2 rm: array<f32> (read_write), [C] running mean; @3 rv: array<f32> (read_write), [C] running var.
// Params: c (channels), momentum, unbias (= count / (count - 1), count = N*H*W).
// Workgroup: WG_X threads, one channel each; grid = linearGrid(ceil(c / WG_X)).
struct Params { c: u32, momentum: f32, unbias: f32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> rm: array<f32>;
@group(0) @binding(3) var<storage, read_write> rv: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let ch = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (ch >= p.c) { return; }
  let keep = 1.0 - p.momentum;
  rm[ch] = keep * rm[ch] + p.momentum * stats[ch];
  rv[ch] = keep * rv[ch] + p.momentum * (stats[p.c + ch] * p.unbias);
}
