// conv2d.scatter_strided: spreads a dense map over the positions a stride keeps, zero between them:
//   dx[n, c, iy, ix] = t[n, c, iy / strideH, ix / strideW] where strideH divides iy and strideW divides ix, else 0.
//   The input gradient of a 1x1 stride-s conv without padding is exactly this, with t the gradient's one nonzero
//   phase (a pointwise conv of dy with the transposed weights, see runConv2dBackwardInput).
//   Each thread owns one value of t and writes its strideH x strideW cell of dx (the value, then zeros; cells cut
//   at the bottom and right edges), so it divides once per cell: one thread per element of dx, dividing and taking
//   modulos for each, took 53 ms for a ResNet-50 training step's three downsampling convs at batch 4 on lavapipe.
// Bindings: @0 p: Params; @1 t: f32 [planes, oh, ow] (read); @2 dx: f32 [planes, h, w] (read_write, overwritten).
// Params: n (= planes * oh * ow), h, w, oh, ow, strideH, strideW (oh = ceil(h / strideH), ow = ceil(w / strideW)).
// Workgroup: WG_X threads, one value of t each; grid = elementwiseGrid({ n }).
struct Params { n: u32, h: u32, w: u32, oh: u32, ow: u32, strideH: u32, strideW: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  let ox = i % p.ow;
  let row = i / p.ow; // plane * oh + oy
  let oy = row % p.oh;
  let plane = row / p.oh;
  let iy0 = oy * p.strideH;
  let ix0 = ox * p.strideW;
  let rows = min(p.strideH, p.h - iy0);
  let cols = min(p.strideW, p.w - ix0);
  let v = t[i];
  for (var a = 0u; a < rows; a++) {
    let at = (plane * p.h + iy0 + a) * p.w + ix0;
    for (var b = 0u; b < cols; b++) { dx[at + b] = select(0.0, v, a == 0u && b == 0u); }
  }
}
