// conv2d.forward_8_winograd_output: the last of forward variant 8's passes (see forward_8_winograd_input): each 4x4
//   output tile y = A^T m A from the 36 products m[xi] = m[((n * 36 + xi) * cout + co) * plane + t], the bias added and
//   the epilogue applied (affine_epilogue.wgsl: an eval-mode batch norm, its ReLU, a residual block's end) as it is
//   stored; outputs past oh, ow are not stored. A thread takes 4 consecutive tiles and loads each point's 4 products
//   as one vec4 (lavapipe pays a load per lane and component).
// Bindings: @0 p: Params; @1 m: f32 [batch, 36 * cout, plane] as vec4s (read); @2 b: f32 [cout] (read; any buffer when
//   hasBias = 0); @3 y: NCHW f32 [batch, cout, oh, ow] (read_write, overwritten); @4 stats, @5 res: see
//   affine_epilogue.wgsl (any buffer of 4 bytes or more without AFFINE, RESIDUAL).
// Params: cout, oh, ow, tilesW, plane, hasBias, quads (= batch * cout * plane / 4).
// Workgroup: WG_X threads, 4 tiles of one output plane each; grid = linearGrid(ceil(quads / WG_X)).
struct Params { cout: u32, oh: u32, ow: u32, tilesW: u32, plane: u32, hasBias: u32, quads: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read> res: array<f32>;

//!include conv2d/winograd_tile_quad

//!include conv2d/affine_epilogue

/** A^T s for one row or column s of 6: the rows of A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
fn reduce(s: array<f32, 6>) -> vec4f {
  let plus = s[1] + s[2];
  let minus = s[1] - s[2];
  let plus2 = s[3] + s[4];
  let minus2 = s[3] - s[4];
  return vec4f(s[0] + plus + plus2, minus + 2.0 * minus2, plus + 4.0 * plus2, minus + 8.0 * minus2 + s[5]);
}

/**
 * Stores tile t of output plane nc (channel co) from its 36 products s (A^T down each column, then across rows). The
 * plane's padding tiles (t >= tilesH * tilesW) start at row 4 tilesH or below, past oh: they store nothing.
 */
fn store(s: array<f32, 36>, nc: u32, co: u32, t: u32, bias: f32) {
  var cols = array<vec4f, 6>();
  for (var j = 0u; j < 6u; j++) {
    cols[j] = reduce(array<f32, 6>(s[j], s[6u + j], s[12u + j], s[18u + j], s[24u + j], s[30u + j]));
  }
  let top = 4u * (t / p.tilesW);
  let left = 4u * (t % p.tilesW);
  let yBase = nc * p.oh * p.ow;
  for (var r = 0u; r < 4u; r++) {
    let row = top + r;
    if (row >= p.oh) { break; }
    let out = epilogue(reduce(array<f32, 6>(cols[0][r], cols[1][r], cols[2][r], cols[3][r], cols[4][r], cols[5][r]))
      + bias, co);
    let base = yBase + row * p.ow + left;
    if (left < p.ow) { put(base, out.x); }
    if (left + 1u < p.ow) { put(base + 1u, out.y); }
    if (left + 2u < p.ow) { put(base + 2u, out.z); }
    if (left + 3u < p.ow) { put(base + 3u, out.w); }
  }
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
  let co = nc - n * p.cout;
  let first = ((n * 36u) * p.cout + co) * (p.plane / 4u) + t / 4u;
  let step = p.cout * p.plane / 4u;
  var s = array<array<f32, 36>, 4>(); // [tile][xi]
  for (var xi = 0u; xi < 36u; xi++) {
    let v = m[first + xi * step];
    s[0][xi] = v.x;
    s[1][xi] = v.y;
    s[2][xi] = v.z;
    s[3][xi] = v.w;
  }
  let bias = select(0.0, b[co], p.hasBias == 1u);
  for (var k = 0u; k < 4u; k++) { store(s[k], nc, co, t + k, bias); }
}
