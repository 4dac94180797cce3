// matmul.columns_vec4: matmul.columns (forward_4_columns.wgsl) with op(B) and C accessed as vec4s, for B stored
// [depth, cols] (not transposed) with cols, ldb, ldc, offB and offC all multiples of 4. Under lavapipe every load or
// store instruction has a large fixed cost, so moving 4 floats per instruction halves the time of the
// bandwidth-bound passes (linear's dx and dw with K = 360,000). With a short K a thread owns CPT vec4 columns
// (WG_X apart, so a workgroup's lanes stay on adjacent vec4s): each op(A) value it loads (the same for every thread)
// then serves CPT vec4 FMAs instead of one, and those broadcast loads were most of the instructions of linear's dx
// (15 rows x 4 classes of A per vec4 of B).
// Bindings: @0 p: Params; @1 a: array<f32> (read): A stored [rows, depth] with row stride lda, or [depth, rows]
// when TRANS_A; @2 b: array<vec4f> (read): B [depth, cols] with row stride ldb (in floats); @3 c: array<vec4f>
// (read_write): C [rows, cols] with row stride ldc (in floats).
// Params as matmul.naive: rows, cols, depth, lda, ldb, ldc, offA, offB, offC (in floats), kChunk, splits,
// splitStride (unused: no split), accumulate (1: C += result, 0: C = result). Overrides: TRANS_A, TRANS_B (must be
// false), TM (rows per pass: 4, 8 or 16), CPT (vec4 columns per thread; TM * CPT <= 16), ROW_BLOCK (rows per
// workgroup, a multiple of TM), DEPTH (p.depth where the loop over K is to be unrolled, else 0: lavapipe leaves a
// loop to a uniform bound rolled).
// With A_QUADS (DEPTH = 4, A not transposed, lda and offA multiples of 4; linear's dx, dy [N, 4] times w) a row's 4
// values of A are one vec4 load, not 4 loads every lane repeats: lavapipe pays per lane and component for a load,
// so those broadcast loads were most of the pass. @4 a4: a as vec4s (read; any buffer of 16 bytes or more without
// A_QUADS). Linear's dx at batch 15 on a 2-core AMD EPYC, taking turns: 10.7 -> 9.1 ms (the variant linear picks).
// Workgroup: WG_X threads, CPT vec4 columns each; grid = (linearGrid(ceil(cols / (4 * CPT * WG_X))), ceil(rows /
// ROW_BLOCK)).
//!include matmul/params

override WG_X: u32;
override TRANS_A: bool;
override TRANS_B: bool;
override TM: u32;
override CPT: u32 = 1u;
override ROW_BLOCK: u32;
override DEPTH: u32 = 0u;
override A_QUADS: bool = false;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
@group(0) @binding(4) var<storage, read> a4: array<vec4f>;

fn loadA(r: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[p.offA + k * p.lda + r]; }
  return a[p.offA + r * p.lda + k];
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let first = (wid.x + wid.y * nwg.x) * WG_X * CPT + lid; // this thread's vec4 columns: first + j * WG_X
  let cols4 = p.cols / 4u;
  if (first >= cols4) { return; }
  let rowEnd = min(p.rows, (wid.z + 1u) * ROW_BLOCK);
  let depth = select(p.depth, DEPTH, DEPTH > 0u);
  for (var row0 = wid.z * ROW_BLOCK; row0 < rowEnd; row0 += TM) {
    var acc = array<vec4f, 16>(); // [i * CPT + j]; initialised explicitly: lavapipe did not re-zero a bare declaration per pass
    if (A_QUADS) {
      // All 4 k of B first, then each row of A as one vec4 (rows past the edge read the last valid one).
      var bq: array<vec4f, 16>; // [k * CPT + j]
      for (var k = 0u; k < 4u; k++) {
        for (var j = 0u; j < CPT; j++) {
          bq[k * CPT + j] = b[(p.offB + k * p.ldb) / 4u + min(first + j * WG_X, cols4 - 1u)];
        }
      }
      for (var i = 0u; i < TM; i++) {
        let aq = a4[(p.offA + min(row0 + i, p.rows - 1u) * p.lda) / 4u];
        for (var k = 0u; k < 4u; k++) {
          for (var j = 0u; j < CPT; j++) { acc[i * CPT + j] = fma(vec4f(aq[k]), bq[k * CPT + j], acc[i * CPT + j]); }
        }
      }
    } else {
      for (var k = 0u; k < depth; k++) {
        // Columns past the edge read the last one (no branch in the loop); their results are not stored.
        var bv: array<vec4f, 4>;
        for (var j = 0u; j < CPT; j++) { bv[j] = b[(p.offB + k * p.ldb) / 4u + min(first + j * WG_X, cols4 - 1u)]; }
        // Rows past the edge read the last valid one, likewise.
        for (var i = 0u; i < TM; i++) {
          let av = vec4f(loadA(min(row0 + i, p.rows - 1u), k));
          for (var j = 0u; j < CPT; j++) { acc[i * CPT + j] = fma(av, bv[j], acc[i * CPT + j]); }
        }
      }
    }
    for (var i = 0u; i < TM; i++) {
      let r = row0 + i;
      for (var j = 0u; j < CPT; j++) {
        let col4 = first + j * WG_X;
        if (r < rowEnd && col4 < cols4) {
          let at = (p.offC + r * p.ldc) / 4u + col4;
          if (p.accumulate == 1u) { c[at] += acc[i * CPT + j]; } else { c[at] = acc[i * CPT + j]; }
        }
      }
    }
  }
}
