// conv2d.backward_weight_7_winograd_dy: the first of weight-gradient variant 7's own passes (Winograd's F(4x4, 3x3)
//   run backwards; forward_8_winograd_input has the forward). With U = G g G^T, V = B^T d B and y = A^T (sum of U .* V)
//   A per 4x4 output tile, the gradient of a kernel g is dg = G^T [sum over tiles and images of (A dy A^T) .* V] G: 36
//   products per tile, input and output channel where the direct sum takes 144. This pass transforms dy's 4x4 tiles:
//   out[(xi * cout + co) * tiles + n * plane + t] = (A dy_tile A^T)[xi] (tiles = batch * plane), the tile's outputs
//   past oh, ow and the plane's padding tiles (t >= tilesH * tilesW, which start below the last row) read as zeros:
//   they add nothing. backward_weight_7_winograd_x transforms x alike, as [36 * tiles, cin]; for each point xi the sums
//   over the tiles are then a matrix product of this [cout, tiles] block by that [tiles, cin] one, run as
//   forward_4_pointwise with 36 groups (this pass its weights, the tiles its K, x's channels its pixels): about a
//   quarter faster than the pointwise weight gradient over the same sums, whose K (60 to 2,940 tiles here) is short.
//   backward_weight_7_winograd_output turns each 6x6 sum into the 3x3 gradient. A thread takes 4 consecutive tiles and
//   stores each point's 4 values as one vec4. With ROW_QUADS (ow % 4 == 0) each tile row of dy is one aligned vec4
//   load instead of 4 scalar ones (lavapipe pays a load per lane and component): taking turns, batch 15, ResNet-50's
//   3x3 at 56 x 56 9.1 -> 7.4 ms, at 28 x 28 5.5 -> 5.3.
// Bindings: @0 p: Params; @1 dy: NCHW f32 [batch, cout, oh, ow] (read); @2 out: f32 [36 * cout, tiles] as vec4s
//   (read_write, overwritten); @3 dy4: dy again, as vec4s (read; any buffer of 16 bytes or more without ROW_QUADS).
// Params: cout, oh, ow, tilesW, plane, tiles (= batch * plane), quads (= batch * cout * plane / 4). Workgroup: WG_X
// threads, 4 tiles of one plane each; grid = linearGrid(ceil(quads / WG_X)).
struct Params { cout: u32, oh: u32, ow: u32, tilesW: u32, plane: u32, tiles: u32, quads: u32 }

override WG_X: u32;
override ROW_QUADS: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(3) var<storage, read> dy4: array<vec4f>;

//!include conv2d/winograd_tile_quad

/** A v for one row or column v of 4: A = (A^T)^T, A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
fn spread(v: vec4f) -> array<f32, 6> {
  let even = v.x + v.z;
  let odd = v.y + v.w;
  let even4 = v.x + 4.0 * v.z;
  let odd2 = 2.0 * v.y + 8.0 * v.w;
  return array<f32, 6>(v.x, even + odd, even - odd, even4 + odd2, even4 - odd2, v.w);
}

/** The 36 transformed values of tile t of plane nc (A down each of the tile's 4 columns, then across the 6 rows). */
fn tile(nc: u32, t: u32) -> array<f32, 36> {
  let top = 4u * (t / p.tilesW);
  let left = 4u * (t % p.tilesW);
  let base = nc * p.oh * p.ow;
  var rows = array<vec4f, 4>(); // the tile's rows, zeros past oh and ow
  for (var i = 0u; i < 4u; i++) {
    let row = top + i;
    if (ROW_QUADS) {
      // ow % 4 == 0: the row's 4 values are one aligned quad, all inside the plane or (past oh) all outside it.
      rows[i] = select(vec4f(0.0), dy4[select(0u, (base + row * p.ow + left) / 4u, row < p.oh)], row < p.oh);
    } else {
      for (var j = 0u; j < 4u; j++) {
        let inside = row < p.oh && left + j < p.ow;
        rows[i][j] = select(0.0, dy[base + select(0u, row * p.ow + left + j, inside)], inside);
      }
    }
  }
  var cols = array<array<f32, 6>, 4>();
  for (var j = 0u; j < 4u; j++) { cols[j] = spread(vec4f(rows[0][j], rows[1][j], rows[2][j], rows[3][j])); }
  var values = array<f32, 36>();
  for (var a = 0u; a < 6u; a++) {
    let row = spread(vec4f(cols[0][a], cols[1][a], cols[2][a], cols[3][a]));
    for (var b = 0u; b < 6u; b++) { values[6u * a + b] = row[b]; }
  }
  return values;
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (q >= p.quads) { return; }
  let quad = tileQuad(q);
  let nc = quad.x; // n * cout + co
  let t = quad.y;
  let n = nc / p.cout;
  let t0 = tile(nc, t);
  let t1 = tile(nc, t + 1u);
  let t2 = tile(nc, t + 2u);
  let t3 = tile(nc, t + 3u);
  let first = ((nc - n * p.cout) * p.tiles + n * p.plane + t) / 4u; // point 0
  let step = p.cout * p.tiles / 4u;
  for (var xi = 0u; xi < 36u; xi++) { out[first + xi * step] = vec4f(t0[xi], t1[xi], t2[xi], t3[xi]); }
}
