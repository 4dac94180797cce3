// conv2d.forward_7_patch_stats: forward_7_patch (same y, see there) that also writes the batch statistics partials of
//   y as batchnorm2d's stats_partial pass would, for a batch norm that reads y next (CNN-X's branches in training):
//   y is then not read again for them. For each channel, the workgroup's valid pixels go to (count, mean, M2): each
//   thread's 4 directly, then a tree over the workgroup with Chan et al.'s merge in a fixed order (deterministic),
//   in the weights' workgroup memory once the block is computed.
// Bindings: @0 p: Params; @1 x, @2 w, @3 b, @4 y as forward_7_patch; @5 part: array<vec4f> (read_write),
//   [batch * cout * blocks] of (count, mean, M2, 0), index (n * cout + c) * blocks + block (blocks = tilesX * tilesY,
//   the stats passes' chunks), each written once.
// Params, workgroup and grid as forward_7_patch.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@group(0) @binding(5) var<storage, read_write> part: array<vec4f>;

// The thread's (count, mean, M2, 0) of each of the block's channels [co % TM], from out() to finish().
var<private> mine: array<vec4f, TM>;

// Chan et al.: (count, mean, M2) of the union of two disjoint sets; an empty side leaves the other unchanged.
fn merge(a: vec4f, c: vec4f) -> vec4f {
  let n = a.x + c.x;
  if (n == 0.0) { return a; }
  let d = c.y - a.y;
  let f = c.x / n;
  return vec4f(n, a.y + d * f, a.z + c.z + d * d * a.x * f, 0.0);
}

// The merge of the 4 entries of `taps` from `at`, in order.
fn merge4(at: u32) -> vec4f {
  return merge(merge(taps[at], taps[at + 1u]), merge(taps[at + 2u], taps[at + 3u]));
}

fn out(inside: bool, at: u32, ox: u32, co: u32, v: vec4f) {
  if (co >= p.cout) { return; }
  let r = store(inside, at, ox, co, v);
  // The thread's pixels inside y: its row, and the columns before the row's end.
  let valid = vec4f(vec4<bool>(ox < p.ow, ox + 1u < p.ow, ox + 2u < p.ow, ox + 3u < p.ow) & vec4<bool>(inside));
  let count = dot(valid, vec4f(1.0));
  let mean = select(0.0, dot(r, valid) / count, count > 0.0);
  let d = (r - mean) * valid;
  mine[co % TM] = vec4f(count, mean, dot(d, d), 0.0);
}

// Per channel, a fixed-order tree over the workgroup's 128 threads (4 -> 1 at each of three levels) in `taps`, free
// once the block is computed: three channels at a time, 4 barriers each.
fn finish(lid: u32, n: u32, block: u32, m0: u32) {
  let channels = min(TM, p.cout - m0);
  for (var c0 = 0u; c0 < channels; c0 += 3u) {
    let now = min(3u, channels - c0);
    workgroupBarrier(); // taps is free: the block's compute, or the previous channels' tree, is done
    for (var c = 0u; c < now; c++) { taps[c * WG + lid] = mine[c0 + c]; }
    workgroupBarrier();
    if (lid < now * 32u) { taps[3u * WG + lid] = merge4((lid / 32u) * WG + (lid % 32u) * 4u); }
    workgroupBarrier();
    if (lid < now * 8u) { taps[lid] = merge4(3u * WG + (lid / 8u) * 32u + (lid % 8u) * 4u); }
    workgroupBarrier();
    if (lid < now) {
      let r = merge(merge4(lid * 8u), merge4(lid * 8u + 4u));
      part[(n * p.cout + m0 + c0 + lid) * p.tilesX * p.tilesY + block] = r;
    }
  }
}

//!include conv2d/forward_7_patch_body
