// cam.weighted_sum: the class activation map of each image, m[n, s] = sum_c w[row, c, s] * a[n, c, s], optionally
// followed by ReLU. The weights are addressed through strides so one kernel serves every kind of map:
//   CAM after global average pooling: w = fc.weight [K, C], row = class of image n, (rowStride, cStride, sStride)
//     = (C, 1, 0), no ReLU (the map's mean plus the bias is the logit);
//   CNN-X's flatten + linear head: w = fc.weight [K, C*S], row = class, strides (C*S, S, 1), no ReLU (the exact
//     per-location contribution: the map's sum plus the bias is the logit);
//   Grad-CAM and Grad-CAM++: w = channel weights [N, C], row = n, strides (C, 1, 0), ReLU.
// One workgroup per output element (n, s): its threads take channels c = lid, lid + WG_X, ... and a tree
// reduction in workgroup memory adds their partial sums (so the summation order differs from a serial loop).
// Bindings: @0 p: Params; @1 a: array<f32> [N, C, S] (read, NCHW with S = H*W); @2 w: array<f32> (read, see
// above); @3 rows: array<f32> [N] (read, the row of w used by image n, an integer stored as f32);
// @4 m: array<f32> [N, S] (read_write, overwritten).
// Params: batch (N), channels (C), spatial (S), rowStride, cStride, sStride (elements), relu (1: max(m, 0)).
// Workgroup: WG_X threads (a power of two); grid = linearGrid(N * S) workgroups.
struct Params { batch: u32, channels: u32, spatial: u32, rowStride: u32, cStride: u32, sStride: u32, relu: u32 }

override WG_X: u32 = 64u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> rows: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;

var<workgroup> partial: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let out = wid.x + wid.y * nwg.x; // uniform across the workgroup, so the early return keeps barriers uniform
  if (out >= p.batch * p.spatial) { return; }
  let n = out / p.spatial;
  let s = out % p.spatial;
  let wBase = u32(rows[n]) * p.rowStride + s * p.sStride;
  let aBase = n * p.channels * p.spatial + s;
  var sum = 0.0;
  for (var c = lid; c < p.channels; c += WG_X) {
    sum += w[wBase + c * p.cStride] * a[aBase + c * p.spatial];
  }
  partial[lid] = sum;
  for (var k = WG_X / 2u; k > 0u; k /= 2u) {
    workgroupBarrier();
    if (lid < k) { partial[lid] += partial[lid + k]; }
  }
  if (lid == 0u) {
    m[out] = select(partial[0], max(partial[0], 0.0), p.relu == 1u);
  }
}
