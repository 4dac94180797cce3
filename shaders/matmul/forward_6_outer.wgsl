enable subgroups;
// matmul.outer: C = op(A) B (or C += it) where op(A) is a few outer products' worth: A stored as OUTER rows of exactly
// 4 values (OUTER <= 16), either op(A) = A, [OUTER, 4] (K = 4: linear's dx, dy [N, 4 classes] times w) or, with
// TRANS_A, op(A) = A^T, [4, OUTER] (4 rows of C: linear's dw, dy^T times x over a batch of OUTER). B is not
// transposed and moved as vec4s, like C (cols, ldb, ldc, offB, offC multiples of 4).
//   Every thread needs all of A. Lane s of each subgroup loads A's stored rows s and s + 8 as vec4s and
// subgroupBroadcast hands all OUTER rows to every lane, 2 loads a thread where columns_vec4 (forward_5) repeats A's
// loads in every lane: lavapipe pays a load per lane whatever the address, and those loads were half of linear's dx
// and dw. Each thread owns one vec4 column of C: it loads that column's K vec4s of B and stores its rows of C, the
// memory both passes cannot avoid, in straight-line code (its loops run to override bounds and unroll).
// Bindings: @0 p: Params; @1 a4: A as vec4s (read; row q at (offA + q * lda) / 4); @2 b: array<vec4f> (read): B
// [depth, cols] with row stride ldb (in floats); @3 c: array<vec4f> (read_write): C [rows, cols] with row stride ldc.
// Params as matmul.naive (kChunk, splits, splitStride unused). Overrides: TRANS_A, OUTER (A's stored rows: rows
// without TRANS_A, depth with it).
// Workgroup: WG_X threads, one vec4 column each; grid = linearGrid(ceil(cols / (4 * WG_X))). Needs subgroups of at
// least 8 lanes (the caller checks); the broadcasts come before any branch that differs between threads, in uniform
// control flow (the second block's test is on an override).
//!include matmul/params

override WG_X: u32;
override TRANS_A: bool;
override OUTER: u32;
@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;

fn rowOfA(q: u32) -> vec4f {
  return a4[(p.offA + min(q, OUTER - 1u) * p.lda) / 4u];
}

fn store(r: u32, col4: u32, v: vec4f) {
  let at = (p.offC + r * p.ldc) / 4u + col4;
  if (p.accumulate == 1u) { c[at] += v; } else { c[at] = v; }
}

// Rows 8j .. 8j + 7 of A into rows[8j ..], lane s of the subgroup holding row 8j + s in v (subgroupBroadcast takes a
// constant lane: one line per lane).
fn broadcastRows(rows: ptr<function, array<vec4f, 16>>, j: u32, v: vec4f) {
  (*rows)[8u * j] = subgroupBroadcast(v, 0u);
  (*rows)[8u * j + 1u] = subgroupBroadcast(v, 1u);
  (*rows)[8u * j + 2u] = subgroupBroadcast(v, 2u);
  (*rows)[8u * j + 3u] = subgroupBroadcast(v, 3u);
  (*rows)[8u * j + 4u] = subgroupBroadcast(v, 4u);
  (*rows)[8u * j + 5u] = subgroupBroadcast(v, 5u);
  (*rows)[8u * j + 6u] = subgroupBroadcast(v, 6u);
  (*rows)[8u * j + 7u] = subgroupBroadcast(v, 7u);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let low = rowOfA(lane % 8u);
  let high = rowOfA(lane % 8u + 8u);
  var rowsA: array<vec4f, 16>;
  broadcastRows(&rowsA, 0u, low);
  if (OUTER > 8u) { broadcastRows(&rowsA, 1u, high); }

  let col4 = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (col4 >= p.cols / 4u) { return; }
  if (TRANS_A) {
    // C's 4 rows: row r = sum over k of A[k][r] B[k].
    var acc: array<vec4f, 4>;
    for (var k = 0u; k < OUTER; k++) {
      let bk = b[(p.offB + k * p.ldb) / 4u + col4];
      let ak = rowsA[k];
      acc[0] = fma(vec4f(ak.x), bk, acc[0]);
      acc[1] = fma(vec4f(ak.y), bk, acc[1]);
      acc[2] = fma(vec4f(ak.z), bk, acc[2]);
      acc[3] = fma(vec4f(ak.w), bk, acc[3]);
    }
    for (var r = 0u; r < 4u; r++) { store(r, col4, acc[r]); }
  } else {
    // C's OUTER rows: row r = sum over the 4 k of A[r][k] B[k].
    let b0 = b[p.offB / 4u + col4];
    let b1 = b[(p.offB + p.ldb) / 4u + col4];
    let b2 = b[(p.offB + 2u * p.ldb) / 4u + col4];
    let b3 = b[(p.offB + 3u * p.ldb) / 4u + col4];
    for (var r = 0u; r < OUTER; r++) {
      let ar = rowsA[r];
      store(r, col4, fma(vec4f(ar.w), b3, fma(vec4f(ar.z), b2, fma(vec4f(ar.y), b1, vec4f(ar.x) * b0))));
    }
  }
}
