// matmul.naive: C = op(A) op(B) with one thread per element of C, looping over the K range of its split. The
// simple reference and debugging fallback of the faster variants (same Params, same bindings, same results up to
// rounding). C is [rows, cols]; op(A) is [rows, depth], op(B) is [depth, cols].
// Bindings: @0 p: Params; @1 a: array<f32> (read): A stored [rows, depth] row-major with row stride lda, or
// [depth, rows] when TRANS_A; @2 b: array<f32> (read): B stored [depth, cols] with row stride ldb, or [cols, depth]
// when TRANS_B; @3 c: array<f32> (read_write): C [rows, cols] with row stride ldc.
// Params: rows, cols, depth; lda, ldb, ldc (row strides as stored); offA, offB, offC (element offsets of each
// matrix in its binding); kChunk (K range of one split: split z sums k in [z*kChunk, min(depth, (z+1)*kChunk)));
// splits; splitStride (elements between the outputs of consecutive splits); accumulate (1: C += result, 0: C =
// result). With splits > 1 each split writes its own partial matrix (sum_splits adds them in order).
// Overrides: TRANS_A, TRANS_B. Workgroup: WG_X threads, one element of C each;
// grid = (linearGrid(ceil(rows*cols / WG_X)), splits).
//!include matmul/params

override WG_X: u32;
override TRANS_A: bool;
override TRANS_B: bool;
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
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let s = i % p.cols;
  let kBegin = wid.z * p.kChunk;
  let kEnd = min(p.depth, kBegin + p.kChunk);
  var acc = 0.0;
  for (var k = kBegin; k < kEnd; k++) {
    acc = fma(loadA(r, k), loadB(k, s), acc);
  }
  let at = p.offC + wid.z * p.splitStride + r * p.ldc + s;
  if (p.accumulate == 1u) { c[at] += acc; } else { c[at] = acc; }
}
