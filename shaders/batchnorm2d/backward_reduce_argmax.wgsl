// batchnorm2d.backward_reduce_argmax: backward_reduce_pooled's sums for a max pool, walked over the pool's windows
// instead of the batch norm's input. Of a batch norm + ReLU whose output only a max pool reads, an element's output
// gradient is the sum of dy over the windows whose maximum sat on it, masked by its ReLU, so
//   sum over elements of dy_e = sum over windows w of relu'(y at argmax w) * dy_w, and
//   sum over elements of dy_e * (x_e - mean) = sum over windows w of relu'(y at argmax w) * dy_w * (x at argmax w - mean):
// one gathered x a window where backward_reduce_pooled streams every x of the plane (CNN-X's 2x2 windows at stride 3
// cover 4 elements in 9 and take their gradient at one). The same sums, added in another order.
// Bindings: @0 p: Params; @1 x: array<f32> (read), NCHW (the batch norm's input); @2 pdy: array<f32> (read),
// [N, cy, oh, ow]; @3 idx: array<u32> (read), [N, C, oh, ow], each window's argmax as iy * W + ix in its plane; @4
// stats: array<f32> (read), [5, C] rows mean, ..., scale, beta; @5 part: array<vec2f> (read_write), [N*C*chunks] in
// backward_reduce's layout, for backward_finalize.
// Params: hw (the input plane's H*W), c, items (windows per thread), chunks (per plane), groups (= N*C*chunks), ohw
// (windows per plane, oh * ow), cy, offset (the pool's channel slot in pdy).
// Workgroup: WG_X threads, each `items` windows strided by WG_X; grid = linearGrid(groups); thread 0 adds the WG_X
// thread sums in order (deterministic).
struct Params { hw: u32, c: u32, items: u32, chunks: u32, groups: u32, ohw: u32, cy: u32, offset: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> pdy: array<f32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<vec2f>;

//!include batchnorm2d/part_sum

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let ch = plane % p.c;
  let n = plane / p.c;
  let mean = stats[ch];
  let scale = stats[3u * p.c + ch];
  let beta = stats[4u * p.c + ch];
  let first = (g - plane * p.chunks) * WG_X * p.items + lid;
  let windows = plane * p.ohw;
  let dyPlane = (n * p.cy + p.offset + ch) * p.ohw;
  let xPlane = plane * p.hw;
  var sum = vec2f(0.0);
  for (var i = 0u; i < p.items; i++) {
    let o = first + i * WG_X;
    if (o < p.ohw) {
      let xc = x[xPlane + idx[windows + o]] - mean;
      let d = select(0.0, pdy[dyPlane + o], xc * scale + beta > 0.0);
      sum += vec2f(d, d * xc);
    }
  }
  storePartSum(g, lid, sum);
}
