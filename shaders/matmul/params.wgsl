// The Params of every matmul variant (included by shaders/matmul/forward_<n>_<name>.wgsl; src/kernels/matmul.ts
// writes the fields in this order; forward_1_naive.wgsl says what each means), bound at @0 as p.
struct Params {
  rows: u32, cols: u32, depth: u32,
  lda: u32, ldb: u32, ldc: u32,
  offA: u32, offB: u32, offC: u32,
  kChunk: u32, splits: u32, splitStride: u32, accumulate: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
