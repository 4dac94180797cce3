// batchnorm2d.stats_partial: first pass of the per-channel batch statistics, for any H*W (stats_partial_1_vec4 is
// the faster variant when H*W is a multiple of 4). Each workgroup reduces one chunk of WG_X * items consecutive
// elements of one (n, c) plane of x to (count, mean, M2), M2 being the sum of squared deviations from the chunk's
// mean; stats_finalize merges the N * chunks partials of each channel.
// Numerics: each thread sums deviations from its own first element (shifted data, so a large mean does not
// cancel) and turns them into (count, mean, M2); thread 0 merges the WG_X of them in order with Chan et al.'s
// formula (deterministic). Small workgroups with one barrier: lavapipe runs each invocation batch as a coroutine.
// Bindings: @0 p: Params; @1 x: array<f32> (read), NCHW f32; @2 part: array<vec4f> (read_write), [N*C*chunks]
// of (count, mean, M2, 0), index (n * C + c) * chunks + chunk.
// Params: hw (H*W), c (channels), items (elements per thread), chunks (= ceil(hw / (WG_X * items))),
// groups (= N * C * chunks).
// Workgroup: WG_X threads, each `items` elements strided by WG_X; grid = linearGrid(groups).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<vec4f>;

var<workgroup> acc: array<vec3f, WG_X>;

// Chan et al.: (count, mean, M2) of the union of two disjoint sets; an empty side leaves the other unchanged.
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
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let start = (g - plane * p.chunks) * WG_X * p.items + lid;
  let base = plane * p.hw;
  var shift = 0.0;
  if (start < p.hw) { shift = x[base + start]; }
  var n = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) {
      let d = x[base + s] - shift;
      n += 1.0;
      s1 += d;
      s2 += d * d;
    }
  }
  var m = vec3f(0.0);
  if (n > 0.0) { m = vec3f(n, shift + s1 / n, max(s2 - s1 * s1 / n, 0.0)); }
  acc[lid] = m;
  workgroupBarrier();
  if (lid == 0u) {
    var r = acc[0];
    for (var k = 1u; k < WG_X; k++) { r = merge(r, acc[k]); }
    part[g] = vec4f(r, 0.0);
  }
}
