// conv2d.forward_8_winograd_input: forward variant 8, Winograd's F(4x4, 3x3) (Lavin and Gray 2015) for 3x3 convs at
//   stride 1 without dilation or groups. The output is cut into 4x4 tiles; each reads a 6x6 input patch d, and
//   y_tile = A^T [sum over ci of (G g G^T) .* (B^T d B)] A, so the 36 products per tile, input and output channel
//   replace 144 multiply-adds: 36 matrix products (one per transform point xi) of U_xi [cout, cin] by
//   V_xi [cin, tiles], run as forward_4_pointwise with 36 groups, between this pass (V from x), the weights' pass
//   (forward_8_winograd_weights) and the output's (forward_8_winograd_output). The transforms cost a few loads per
//   input or output element; the product does a quarter of the direct conv's work.
//   This pass: v[((n * 36 + xi) * cin + ci) * plane + t] = (B^T d B)[xi] for tile t = tr * tilesW + tc of image n, its
//   patch d from input row 4 tr - padH and column 4 tc - padW (zeros outside x). A thread takes 4 consecutive tiles
//   and stores each point's 4 values as one vec4 (lavapipe pays a store per lane and component: ResNet-50's 56 x 56
//   3x3 at batch 15, one tile row a thread and scalar stores, 17-20 ms). Tiles from tilesH * tilesW up to plane (a
//   multiple of 4) are transformed like the others (their loads bounds-checked): they feed only outputs nobody reads.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 v: f32 [batch, 36 * cin, plane] as vec4s
//   (read_write, overwritten).
// Params: cin, h, w, padH, padW, tilesW, plane, quads (= batch * cin * plane / 4). Workgroup: WG_X threads, 4 tiles of
// one input plane each; grid = linearGrid(ceil(quads / WG_X)).
struct Params { cin: u32, h: u32, w: u32, padH: u32, padW: u32, tilesW: u32, plane: u32, quads: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<vec4f>;

//!include conv2d/winograd_tile_quad

//!include conv2d/winograd_input_tile

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (q >= p.quads) { return; }
  let quad = tileQuad(q);
  let nc = quad.x; // n * cin + ci
  let t = quad.y;
  let n = nc / p.cin;
  let t0 = tile(nc, t);
  let t1 = tile(nc, t + 1u);
  let t2 = tile(nc, t + 2u);
  let t3 = tile(nc, t + 3u);
  // Point xi of plane nc sits at ((n * 36 + xi) * cin + ci) * plane: quads apart by cin * plane / 4 from one point on.
  let first = ((n * 36u) * p.cin + (nc - n * p.cin)) * (p.plane / 4u) + t / 4u;
  let step = p.cin * p.plane / 4u;
  for (var xi = 0u; xi < 36u; xi++) { v[first + xi * step] = vec4f(t0[xi], t1[xi], t2[xi], t3[xi]); }
}
