// conv2d.backward_weight_7_winograd_x: x's 6x6 patch transforms for weight-gradient variant 7 (see
//   backward_weight_7_winograd_dy), laid out for the product: vt[(xi * tiles + n * plane + t) * cin + ci] =
//   (B^T d B)[xi] for tile t of image n (tiles = batch * plane), so that for each point xi the tiles are the
//   product's sum and x's channels its pixels (forward_4_pointwise reads them a quad of channels at a time). The same
//   tiles as forward_8_winograd_input's; the plane's padding tiles are transformed too (dy's are zeros there). A thread
//   takes 4 consecutive tiles of one channel and stores their values one by one (lavapipe pays a store per lane and
//   component, so a vec4 would cost the same).
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 vt: f32 [36 * tiles, cin] (read_write,
//   overwritten).
// Params: cin, h, w, padH, padW, tilesW, plane, tiles (= batch * plane), quads (= batch * cin * plane / 4).
// Workgroup: WG_X threads, 4 tiles of one input plane each; grid = linearGrid(ceil(quads / WG_X)).
struct Params { cin: u32, h: u32, w: u32, padH: u32, padW: u32, tilesW: u32, plane: u32, tiles: u32, quads: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> vt: array<f32>;

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
  let ci = nc - n * p.cin;
  let first = (n * p.plane + t) * p.cin + ci; // tile t of image n at point 0
  let step = p.tiles * p.cin;
  for (var k = 0u; k < 4u; k++) {
    let values = tile(nc, t + k);
    let at = first + k * p.cin;
    for (var xi = 0u; xi < 36u; xi++) { vt[at + xi * step] = values[xi]; }
  }
}
