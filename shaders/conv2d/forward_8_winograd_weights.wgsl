// conv2d.forward_8_winograd_weights: the first of forward variant 8's passes (Winograd F(4x4, 3x3), see
//   forward_8_winograd_input): each 3x3 kernel g of w turned into its 6x6 transform U = G g G^T, stored as the weights
//   of 36 grouped 1x1 convs: u[(xi * cout + co) * cin + ci] for transform point xi = 6a + b.
// Bindings: @0 p: Params; @1 w: OIHW f32 [cout, cin, 3, 3] (read); @2 u: f32 [36 * cout * cin] (read_write,
//   overwritten).
// Params: cin, cout. Workgroup: WG_X threads, one (co, ci) kernel each; grid = linearGrid(ceil(cout * cin / WG_X)).
struct Params { cin: u32, cout: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> u: array<vec4f>;

/** G v for one row or column v of 3 taps: the 6 rows of G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 *  1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]. */
fn expand(v: vec3f) -> array<f32, 6> {
  let even = v.x + v.z;
  return array<f32, 6>(
    v.x * 0.25, -(even + v.y) / 6.0, -(even - v.y) / 6.0,
    v.x / 24.0 + v.y / 12.0 + v.z / 6.0, v.x / 24.0 - v.y / 12.0 + v.z / 6.0, v.z,
  );
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let quads = p.cout * p.cin / 4u;
  if (q >= quads) { return; }
  // The 4 kernels' 36 taps, 9 vec4s from float 36q on.
  var taps = array<f32, 36>();
  for (var j = 0u; j < 9u; j++) {
    let v = w[9u * q + j];
    taps[4u * j] = v.x;
    taps[4u * j + 1u] = v.y;
    taps[4u * j + 2u] = v.z;
    taps[4u * j + 3u] = v.w;
  }
  // rows[k][xi]: point xi of kernel k's transform G g G^T (G applied down each kernel column, then across each row).
  var rows = array<array<f32, 36>, 4>();
  for (var k = 0u; k < 4u; k++) {
    let at = 9u * k;
    let c0 = expand(vec3f(taps[at], taps[at + 3u], taps[at + 6u]));
    let c1 = expand(vec3f(taps[at + 1u], taps[at + 4u], taps[at + 7u]));
    let c2 = expand(vec3f(taps[at + 2u], taps[at + 5u], taps[at + 8u]));
    for (var a = 0u; a < 6u; a++) {
      let row = expand(vec3f(c0[a], c1[a], c2[a]));
      for (var b = 0u; b < 6u; b++) { rows[k][6u * a + b] = row[b]; }
    }
  }
  for (var xi = 0u; xi < 36u; xi++) { u[xi * quads + q] = vec4f(rows[0][xi], rows[1][xi], rows[2][xi], rows[3][xi]); }
}
