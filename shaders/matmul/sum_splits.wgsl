// matmul.sum_splits: C = sum over splits z of P[z] (in split order, so the result is deterministic), or C += that
// sum when accumulating. The final step of a split-K matmul.
// Bindings: @0 p: Params; @1 partials: array<f32> (read): [splits, rows, cols] row-major; @2 c: array<f32>
// (read_write): C [rows, cols] with row stride ldc from element offC.
// Params: rows, cols, splits, ldc, offC, accumulate (1: C += sum, 0: C = sum).
// Workgroup: WG_X threads, one element of C each; grid = linearGrid(ceil(rows * cols / WG_X)).
struct Params { rows: u32, cols: u32, splits: u32, ldc: u32, offC: u32, accumulate: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let n = p.rows * p.cols;
  if (i >= n) { return; }
  var sum = 0.0;
  for (var z = 0u; z < p.splits; z++) { sum += partials[z * n + i]; }
  let at = p.offC + (i / p.cols) * p.ldc + i % p.cols;
  if (p.accumulate == 1u) { c[at] += sum; } else { c[at] = sum; }
}
