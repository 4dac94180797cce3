// matmul.tiled: C = op(A) op(B) for square-ish shapes on GPUs (VGG/AlexNet classifiers): each workgroup computes
// a BM x BN tile of C (BM = WG_Y*4, BN = WG_X*4), staging BK values of K at a time of op(A) and op(B) in workgroup
// memory; each thread keeps a 4 x 4 register tile (rows ty*4.., cols tx*4..). Loads from global memory run along
// the stored contiguous dimension whichever the transpose flags. Under lavapipe, where workgroup memory is
// ordinary memory, matmul.columns is faster and is chosen instead.
// Bindings, Params and overrides as matmul.naive (forward_1_naive.wgsl): @1 a, @2 b (read), @3 c (read_write);
// rows, cols, depth, lda, ldb, ldc, offA, offB, offC, kChunk, splits, splitStride, accumulate; TRANS_A, TRANS_B;
// and BK (K per stage).
// Workgroup: WG_X x WG_Y threads; grid = (ceil(cols / BN), ceil(rows / BM), splits).
//!include matmul/params

override BK: u32;
override WG_X: u32;
override WG_Y: u32;
override TRANS_A: bool;
override TRANS_B: bool;
override BM: u32 = WG_Y * 4u;
override BN: u32 = WG_X * 4u;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

// Tiles stored K-major: tileA[kk][r] and tileB[kk][s], as vec4 so a thread reads its 4 rows / 4 cols at once.
var<workgroup> tileA: array<vec4f, BK * WG_Y>;
var<workgroup> tileB: array<vec4f, BK * WG_X>;

fn loadA(r: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[p.offA + k * p.lda + r]; }
  return a[p.offA + r * p.lda + k];
}

fn loadB(k: u32, s: u32) -> f32 {
  if (TRANS_B) { return b[p.offB + s * p.ldb + k]; }
  return b[p.offB + k * p.ldb + s];
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let threads = WG_X * WG_Y;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let kBegin = wid.z * p.kChunk;
  let kEnd = min(p.depth, kBegin + p.kChunk);
  var acc = array<vec4f, 4>();

  for (var k0 = kBegin; k0 < kEnd; k0 += BK) {
    for (var e = lid; e < BM * BK; e += threads) {
      // Consecutive threads take consecutive stored addresses.
      var rr = e / BK;
      var kk = e % BK;
      if (TRANS_A) { rr = e % BM; kk = e / BM; }
      let r = row0 + rr;
      let k = k0 + kk;
      var v = 0.0;
      if (r < p.rows && k < kEnd) { v = loadA(r, k); }
      tileA[kk * WG_Y + rr / 4u][rr % 4u] = v;
    }
    for (var e = lid; e < BN * BK; e += threads) {
      var ss = e % BN;
      var kk = e / BN;
      if (TRANS_B) { ss = e / BK; kk = e % BK; }
      let s = col0 + ss;
      let k = k0 + kk;
      var v = 0.0;
      if (s < p.cols && k < kEnd) { v = loadB(k, s); }
      tileB[kk * WG_X + ss / 4u][ss % 4u] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let av = tileA[kk * WG_Y + lid3.y];
      let bv = tileB[kk * WG_X + lid3.x];
      acc[0] = fma(vec4f(av.x), bv, acc[0]);
      acc[1] = fma(vec4f(av.y), bv, acc[1]);
      acc[2] = fma(vec4f(av.z), bv, acc[2]);
      acc[3] = fma(vec4f(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid3.y * 4u + i;
    if (r >= p.rows) { break; }
    for (var j = 0u; j < 4u; j++) {
      let s = col0 + lid3.x * 4u + j;
      if (s >= p.cols) { break; }
      let at = p.offC + wid.z * p.splitStride + r * p.ldc + s;
      if (p.accumulate == 1u) { c[at] += acc[i][j]; } else { c[at] = acc[i][j]; }
    }
  }
}
