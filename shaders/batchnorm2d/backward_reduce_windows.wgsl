// batchnorm2d.backward_reduce_windows: backward_reduce_pooled's sums from what the pool's forward recorded for each
// window (its SUMS output, pool2d forward_1_unrolled: how many of the window's taps the fused ReLU kept, and the sum
// of their x - mean; for a max pool, its argmax alone), so that neither x nor the argmax is read here. Of a batch
// norm + ReLU that only a pool of disjoint windows reads, an element's output gradient is its window's dy / divisor
// where the ReLU kept it, so
//   sum over elements of dy_e = sum over windows w of dy_w / divisor * kept_w, and
//   sum over elements of dy_e * (x_e - mean) = sum over windows w of dy_w / divisor * (sum of x - mean)_w.
// The same sums as backward_reduce_pooled's, added in another order.
// Bindings: @0 p: Params; @1 pdy: array<f32> (read), [N, cy, oh, ow]; @2 sums: array<vec2f> (read), [N, C, oh, ow];
// @3 part: array<vec2f> (read_write), [N*C*chunks] in backward_reduce's layout, for backward_finalize.
// Params: as backward_reduce_argmax (hw unused), and divisor (the average pool's; 1 for a max pool).
// Workgroup: WG_X threads, each `items` windows strided by WG_X; grid = linearGrid(groups); thread 0 adds the WG_X
// thread sums in order (deterministic).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32, ohw: u32, cy: u32, offset: u32, divisor: f32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pdy: array<f32>;
@group(0) @binding(2) var<storage, read> sums: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> part: array<vec2f>;

//!include batchnorm2d/part_sum

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let ch = plane % p.c;
  let n = plane / p.c;
  let first = (g - plane * p.chunks) * WG_X * p.items + lid;
  let windows = plane * p.ohw;
  let dyPlane = (n * p.cy + p.offset + ch) * p.ohw;
  var sum = vec2f(0.0);
  for (var i = 0u; i < p.items; i++) {
    let o = first + i * WG_X;
    if (o < p.ohw) { sum += (pdy[dyPlane + o] / p.divisor) * sums[windows + o]; }
  }
  storePartSum(g, lid, sum);
}
