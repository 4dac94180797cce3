// conv2d.scatter_strided: spreads a dense map over the positions a stride keeps, zero between them:
//   dx[n, c, iy, ix] = t[n, c, iy / strideH, ix / strideW] where strideH divides iy and strideW divides ix, else 0.
//   The input gradient of a 1x1 stride-s conv without padding is exactly this, with t the gradient's one nonzero
//   phase (a pointwise conv of dy with the transposed weights, see runConv2dBackwardInput).
// Bindings: @0 p: Params; @1 t: f32 [planes, oh, ow] (read); @2 dx: f32 [planes, h, w] (read_write, overwritten).
// Params: n (= planes * h * w), h, w, oh, ow, strideH, strideW (oh = ceil(h / strideH), ow = ceil(w / strideW)).
// Workgroup: WG_X threads, one element of dx each; grid = elementwiseGrid({ n }).
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
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let kept = ix % p.strideW == 0u && iy % p.strideH == 0u;
  let at = (plane * p.oh + iy / p.strideH) * p.ow + ix / p.strideW;
  dx[i] = select(0.0, t[select(0u, at, kept)], kept);
}
