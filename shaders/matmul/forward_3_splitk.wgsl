// matmul.splitk: C = op(A) op(B) for a small C and a long K (the fc layer: x [15, 360000] times w^T [360000, 4]).
// Each workgroup owns a TM x 4 tile of C and one K chunk (its split): its WG_X threads stride through the chunk
// together (thread t takes k = chunk start + t, + WG_X, ...; consecutive threads read consecutive addresses when
// K is the stored contiguous dimension), each keeping a TM x 4 register tile, then combine their tiles with a
// fixed-order tree in workgroup memory. Splits write separate partial matrices that sum_splits adds in split order,
// so the result is deterministic and no thread walks all of K. On a hardware GPU TM up to 16 covers a whole batch in
// one tile, so every element of A and B is loaded once; a software device takes TM = 4, whose sums stay in the CPU's
// vector registers (matmul.ts, splitkTileRows), and reads B's chunk again, from cache, for each row tile.
// With K_QUADS (A stored [rows, K] and B [cols, K], K, lda, ldb, offA, offB and kChunk multiples of 4: the fc
// layer's x times w^T) a thread takes 4 consecutive k a time, each row of A and column of B one vec4 load: lavapipe
// pays per lane and component for a load, a vec4 about what two scalars cost. Linear's forward at batch 15 on a
// 2-core AMD EPYC, taking turns (the quieter rounds): 9.1-10.2 -> 7.5-8.3 ms.
// Bindings, Params and overrides as matmul.naive (forward_1_naive.wgsl): @1 a, @2 b (read), @3 c (read_write);
// rows, cols, depth, lda, ldb, ldc, offA, offB, offC, kChunk, splits, splitStride, accumulate; TRANS_A, TRANS_B;
// and TM (rows per tile: 4, 8 or 16), K_QUADS; @4 a4, @5 b4: a and b as vec4s (read; any buffer of 16 bytes or more
// without K_QUADS).
// Workgroup: WG_X threads (a power of two, >= 4 * TM); grid = (linearGrid(ceil(cols / 4) * ceil(rows / TM)),
// splits), tile t = wid.x + wid.y * nwg.x covering rows TM * (t / ceil(cols / 4)), columns 4 * (t % ceil(cols / 4)).
//!include matmul/params

override WG_X: u32;
override TRANS_A: bool;
override TRANS_B: bool;
override TM: u32;
override K_QUADS: bool = false;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> a4: array<vec4f>;
@group(0) @binding(5) var<storage, read> b4: array<vec4f>;

// Thread t's tile: rows of 4 columns at [TM * t, TM * t + TM).
var<workgroup> tiles: array<vec4f, TM * WG_X>;

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
  let colTiles = (p.cols + 3u) / 4u;
  let tile = wid.x + wid.y * nwg.x;
  if (tile >= colTiles * ((p.rows + TM - 1u) / TM)) { return; } // the same for the whole workgroup
  let row0 = tile / colTiles * TM;
  let col0 = tile % colTiles * 4u;
  // Rows and columns past the edge read the last valid one (no branch in the loop); their results are not stored.
  let ss = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), vec4u(p.cols - 1u));
  let kBegin = wid.z * p.kChunk;
  let kEnd = min(p.depth, kBegin + p.kChunk);
  var acc = array<vec4f, 16>();
  if (K_QUADS) {
    for (var k = kBegin + 4u * lid; k < kEnd; k += 4u * WG_X) {
      // The 4 columns' quads of B, turned into one vec4 of the 4 columns per k.
      let q = mat4x4f(b4[(p.offB + ss.x * p.ldb + k) / 4u], b4[(p.offB + ss.y * p.ldb + k) / 4u],
                      b4[(p.offB + ss.z * p.ldb + k) / 4u], b4[(p.offB + ss.w * p.ldb + k) / 4u]);
      let bk = transpose(q);
      for (var i = 0u; i < TM; i++) {
        let av = a4[(p.offA + min(row0 + i, p.rows - 1u) * p.lda + k) / 4u];
        acc[i] = fma(vec4f(av.x), bk[0], acc[i]);
        acc[i] = fma(vec4f(av.y), bk[1], acc[i]);
        acc[i] = fma(vec4f(av.z), bk[2], acc[i]);
        acc[i] = fma(vec4f(av.w), bk[3], acc[i]);
      }
    }
  } else {
    for (var k = kBegin + lid; k < kEnd; k += WG_X) {
      let bv = vec4f(loadB(k, ss.x), loadB(k, ss.y), loadB(k, ss.z), loadB(k, ss.w));
      for (var i = 0u; i < TM; i++) { acc[i] = fma(vec4f(loadA(min(row0 + i, p.rows - 1u), k)), bv, acc[i]); }
    }
  }
  for (var i = 0u; i < TM; i++) { tiles[TM * lid + i] = acc[i]; }
  workgroupBarrier();
  for (var stride = WG_X / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      for (var i = 0u; i < TM; i++) { tiles[TM * lid + i] += tiles[TM * (lid + stride) + i]; }
    }
    workgroupBarrier();
  }
  if (lid < 4u * TM) {
    let r = row0 + lid / 4u;
    let s = col0 + lid % 4u;
    if (r < p.rows && s < p.cols) {
      let v = tiles[lid / 4u][lid % 4u];
      let at = p.offC + wid.z * p.splitStride + r * p.ldc + s;
      if (p.accumulate == 1u) { c[at] += v; } else { c[at] = v; }
    }
  }
}
