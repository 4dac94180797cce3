// matmul.columns: C = op(A) op(B) with each thread owning 4 adjacent columns of C and walking the rows of its
// workgroup's row block TM at a time, looping over all of K with a TM x 4 register tile read straight from global
// memory (op(A) values are the same for every thread: broadcast). With TM up to 16 a whole batch is one tile, so
// op(B) is read once. For a short K (linear's dw = dy^T x reduces over the batch, dx = dy w over a few classes) it
// is a sum of a few outer products, bound by reading op(B) and writing C; it is also the fastest square-ish kernel
// under lavapipe, where workgroup memory is ordinary memory and staging tiles through it only adds copies.
// Bindings, Params and overrides as matmul.naive (forward_1_naive.wgsl): @1 a, @2 b (read), @3 c (read_write);
// rows, cols, depth, lda, ldb, ldc, offA, offB, offC, kChunk, splits, splitStride, accumulate; TRANS_A, TRANS_B
// (kChunk must cover depth and splits be 1: this variant does not split K); TM (rows per pass: 4, 8 or 16) and
// ROW_BLOCK (rows per workgroup, a multiple of TM).
// Workgroup: WG_X threads; grid = (linearGrid(ceil(cols / (4 * WG_X))), ceil(rows / ROW_BLOCK)).
//!include matmul/params

override WG_X: u32;
override TRANS_A: bool;
override TRANS_B: bool;
override TM: u32;
override ROW_BLOCK: u32;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

fn loadA(r: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[p.offA + k * p.lda + r]; }
  return a[p.offA + r * p.lda + k];
}

fn loadB(k: u32, s: u32) -> f32 {
  if (TRANS_B) { return b[p.offB + s * p.ldb + k]; }
  return b[p.offB + k * p.ldb + s];
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let col0 = ((wid.x + wid.y * nwg.x) * WG_X + lid) * 4u;
  if (col0 >= p.cols) { return; }
  // Rows and columns past the edge read the last valid one (no branch in the loop); their results are not stored.
  let ss = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), vec4u(p.cols - 1u));
  let rowEnd = min(p.rows, (wid.z + 1u) * ROW_BLOCK);
  for (var row0 = wid.z * ROW_BLOCK; row0 < rowEnd; row0 += TM) {
    var acc = array<vec4f, 16>(); // initialised explicitly: lavapipe did not re-zero a bare declaration per pass
    for (var k = 0u; k < p.depth; k++) {
      let bv = vec4f(loadB(k, ss.x), loadB(k, ss.y), loadB(k, ss.z), loadB(k, ss.w));
      for (var i = 0u; i < TM; i++) { acc[i] = fma(vec4f(loadA(min(row0 + i, p.rows - 1u), k)), bv, acc[i]); }
    }
    for (var i = 0u; i < TM; i++) {
      let r = row0 + i;
      if (r >= rowEnd) { break; }
      for (var j = 0u; j < 4u; j++) {
        let s = col0 + j;
        if (s >= p.cols) { break; }
        let at = p.offC + r * p.ldc + s;
        if (p.accumulate == 1u) { c[at] += acc[i][j]; } else { c[at] = acc[i][j]; }
      }
    }
  }
}
