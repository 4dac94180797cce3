// conv2d.backward_weight_7_winograd_output: the last of weight-gradient variant 7's passes (see
//   backward_weight_7_winograd_dy): each 3x3 kernel's gradient dg = G^T D G from the 36 sums D[xi] =
//   d[(xi * cout + co) * cin + ci] (the pointwise weight gradient of the 36 grouped products). A thread takes 4
//   consecutive kernels: 36 vec4 loads, then their 36 taps as 9 vec4 stores.
// Bindings: @0 p: Params; @1 d: f32 [36 * cout * cin] as vec4s (read); @2 dw: OIHW f32 [cout, cin, 3, 3] as vec4s
//   (read_write, overwritten).
// Params: cin, cout (cout * cin % 4 == 0). Workgroup: WG_X threads, 4 kernels each; grid =
// linearGrid(ceil(cout * cin / 4 / WG_X)).
struct Params { cin: u32, cout: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> d: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dw: array<vec4f>;

/** G^T s for one row or column s of 6 (G as in forward_8_winograd_weights). */
fn gather(s: array<f32, 6>) -> vec3f {
  let plus = s[1] + s[2];
  let minus = s[2] - s[1];
  return vec3f(
    s[0] * 0.25 - plus / 6.0 + (s[3] + s[4]) / 24.0,
    minus / 6.0 + (s[3] - s[4]) / 12.0,
    (s[3] + s[4] - plus) / 6.0 + s[5],
  );
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let quads = p.cout * p.cin / 4u;
  if (q >= quads) { return; }
  var s = array<array<f32, 36>, 4>(); // [kernel][xi]
  for (var xi = 0u; xi < 36u; xi++) {
    let v = d[xi * quads + q];
    s[0][xi] = v.x;
    s[1][xi] = v.y;
    s[2][xi] = v.z;
    s[3][xi] = v.w;
  }
  var taps = array<f32, 36>(); // kernel k's tap (r, c) at 9k + 3r + c
  for (var k = 0u; k < 4u; k++) {
    // G^T down each of the 6 columns, then across each of the 3 resulting rows.
    var cols = array<vec3f, 6>();
    for (var b = 0u; b < 6u; b++) {
      let t = s[k];
      cols[b] = gather(array<f32, 6>(t[b], t[6u + b], t[12u + b], t[18u + b], t[24u + b], t[30u + b]));
    }
    for (var r = 0u; r < 3u; r++) {
      let row = gather(array<f32, 6>(cols[0][r], cols[1][r], cols[2][r], cols[3][r], cols[4][r], cols[5][r]));
      taps[9u * k + 3u * r] = row.x;
      taps[9u * k + 3u * r + 1u] = row.y;
      taps[9u * k + 3u * r + 2u] = row.z;
    }
  }
  for (var j = 0u; j < 9u; j++) {
    dw[9u * q + j] = vec4f(taps[4u * j], taps[4u * j + 1u], taps[4u * j + 2u], taps[4u * j + 3u]);
  }
}
