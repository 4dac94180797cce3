// conv2d.backward_weight_7_winograd_x: x's 6x6 patch transforms for weight-gradient variant 7 (see
//   backward_weight_7_winograd_dy), laid out for the product: vt[(xi * tiles + n * plane + t) * cin + ci] =
//   (B^T d B)[xi] for tile t of image n (tiles = batch * plane), so that for each point xi the tiles are the
//   product's sum and x's channels its pixels (forward_4_pointwise reads them a quad of channels at a time). The same
//   tiles as forward_8_winograd_input's; the plane's padding tiles are transformed too (dy's are zeros there). A thread
//   takes 4 consecutive elements of a point's [tiles, cin] block (4 channels of one tile where cin % 4 == 0) and
//   stores each point's 4 values as one vec4, so neighbouring threads write neighbouring quads. Taking turns, batch 15,
//   ResNet-50's 3x3s at 56 x 56, 28 x 28 and 14 x 14: 14.7 -> 12.8 ms, 10.2 -> 6.9-7.7 and 6.4 -> 4.6 against a
//   thread taking 4 tiles of one channel, whose 144 scalar stores each landed cin floats from the last.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 vt: f32 [36 * tiles, cin] as vec4s
//   (read_write, overwritten).
// Params: cin, h, w, padH, padW, tilesW, plane, quads (= batch * plane * cin / 4, a point's quads).
// Workgroup: WG_X threads, 4 elements each; grid = linearGrid(ceil(quads / WG_X)).
struct Params { cin: u32, h: u32, w: u32, padH: u32, padW: u32, tilesW: u32, plane: u32, quads: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> vt: array<vec4f>;

//!include conv2d/winograd_input_tile

/** The transforms of element j = (n * plane + t) * cin + ci of a point's [tiles, cin] block (tile t of image n, channel
 *  ci). */
fn element(j: u32) -> array<f32, 36> {
  let tileIndex = j / p.cin;
  let n = tileIndex / p.plane;
  return tile(n * p.cin + j - tileIndex * p.cin, tileIndex - n * p.plane);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (q >= p.quads) { return; }
  let v0 = element(4u * q);
  let v1 = element(4u * q + 1u);
  let v2 = element(4u * q + 2u);
  let v3 = element(4u * q + 3u);
  for (var xi = 0u; xi < 36u; xi++) { vt[xi * p.quads + q] = vec4f(v0[xi], v1[xi], v2[xi], v3[xi]); }
}
