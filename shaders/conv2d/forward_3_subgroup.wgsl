enable subgroups;
// conv2d.forward (variant 3, implicit GEMM with subgroup-shared weights): the same result as forward.wgsl.
//   As forward_2_gemm: per group, Y = W * X with M = cout/groups output channels, N = batch*oh*ow output pixels and
//   K = cin/groups*kh*kw walked as (ci, ky, kx); each workgroup owns TM output channels and each thread a run of
//   4*QPL consecutive pixels of one output row, with the inputs sliding along kx when strideW == dilW.
//   What differs is how the TM weights of a K step reach the threads: in each block of 8 channels, lane j of every
//   subgroup loads the weight of channel j and subgroupBroadcast hands it to all lanes. Under lavapipe a buffer load
//   costs about as much per lane whether or not the lanes share the address (~1 ns, 6-7 FMAs), a broadcast about one
//   FMA, so this turns TM loads per thread and K step into TM / 8. Needs subgroups of at least 8 lanes (the caller
//   checks); a subgroup never spans two workgroups, so all its lanes share the channel block.
//   With TAP_MAJOR (TM = 32) the weights come regrouped by K step (tap_major_weights.wgsl) and each lane loads its 4
//   channels' weights of a step as one vec4 instead of 4 scalars from 4 OIHW rows: lavapipe pays per lane and
//   component (~12 ns a scalar for 8 lanes, ~22 a vec4, on a 2-core AMD EPYC). ResNet-50's 3x3s at batch 15, taking
//   turns: 14 x 14 forward 85.9 -> 76.9 ms, input gradient 85.8 -> 77.8; 56 x 56 77.2 -> 71.1 and 77.9 -> 74.0. With
//   TM = 16 one vec2 instead of 2 scalars measured no faster (CNN-X's 5x5 and 9x9).
//   With PAIRS a thread's 4 pixels are two pairs of adjacent pixels, pairs 2*run and 2*run + 1 of the batch's rows
//   counted ow/2 to a row (ow even): the second pair may lie on the next row or image. Rows of 2 mod 4 pixels (ResNet's
//   14 x 14) then waste no lanes where quads along a row leave half of each row's last quad idle, for one more load
//   per tap (each pair slides on its own). Lavapipe, ResNet-50's 3x3 at 14 x 14, batch 15: forward 114-121 -> 101-110
//   ms, input gradient 121-124 -> 105-114.
//   With TAP_SUMS (TM = 32, QPL = 1, kw <= 9) each kernel row's KW products per channel are summed first and the
//   accumulator takes the sum, one update per row instead of one per tap: lavapipe stores each update of a value
//   carried round a loop through the execution mask (a reload, a blend, a store: five instructions where the FMA is
//   two), and the sums are straight-line code. ResNet-50's 3x3s at batch 15, taking turns: forward 78.2 -> 67.5 ms at
//   14 x 14, 77.7 -> 59.0 at 56 x 56 (a whole kernel's 9 taps a sum ran slower: 3.7x the code).
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 w: OIHW f32 [cout, cin/groups, kh, kw] (read);
//   @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32 [batch, cout, oh, ow] (read_write,
//   overwritten); @5 wq: the weights as tap_major_weights lays them out (read; any buffer of 16 bytes or more without
//   TAP_MAJOR); @6 stats: batchnorm2d's [5, cout] stats rows for AFFINE, @7 res: the identity, like y, for RESIDUAL
//   (affine_epilogue.wgsl; read; any buffer of 4 bytes or more without).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups),
//   hasBias, runs (= batch*oh*ceil(ow / (4*QPL)), or ceil(batch*oh*ow / 4) with PAIRS; one per thread), mBlocks
//   (= ceil(cout/groups / TM)).
// Workgroup: WG_X threads (8 .. 64, a multiple of 8); overrides TM (channels per thread: 8, 16 or 32) and QPL (quads
//   per thread: 1, 2 or 4), TM * QPL <= 32 (past that the loop unroller gives up and acc spills to memory), and
//   KW = kw and KH = kh (the kernel as constants, so the compiler unrolls its loops: with kw a Param ResNet-50's 3x3s
//   ran 17-18% slower on lavapipe, with kh a Param 7-10% slower), PAIRS (QPL = 1, strideW == dilW), TAP_MAJOR
//   (TM = 32), TAP_SUMS (TM = 32, 2 <= KW <= 9), and AFFINE and RESIDUAL (affine_epilogue.wgsl: an eval-mode batch
//   norm, its ReLU, a residual block's end, applied as the outputs are stored). Every subgroup operation sits in
//   uniform control flow: threads past the last run compute a copy of the last run and only skip the store; channels
//   past the group's last one load its weights and are not stored.
// Grid: linearGrid(ceil(runs / WG_X) * mBlocks * groups), pixel blocks fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  hasBias: u32, runs: u32, mBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override QPL: u32 = 1u;
override KW: u32 = 3u; // = kw: a constant trip count lets the compiler unroll the loop over a kernel row
override KH: u32 = 3u; // = kh, likewise for the loop over the kernel's rows
override PAIRS: bool = false;
override TAP_MAJOR: bool = false;
override TAP_SUMS: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> wq: array<vec4f>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read> res: array<f32>;

//!include conv2d/padded_input
//!include conv2d/weight_broadcast
//!include conv2d/affine_epilogue

// TAP_SUMS: one kernel row's products for all 32 channels, its taps summed before each accumulator takes them. Lane
// s's weights of each tap, wt, reach all lanes by broadcasts from constant lanes.
fn addTapSums(acc: ptr<function, array<vec4f, 32>>, vt: ptr<function, array<vec4f, 9>>,
              wt: ptr<function, array<vec4f, 9>>) {
  var wb: array<vec4f, 9>;
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 0u); }
  addLaneTaps(acc, vt, &wb, 0u);
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 1u); }
  addLaneTaps(acc, vt, &wb, 1u);
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 2u); }
  addLaneTaps(acc, vt, &wb, 2u);
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 3u); }
  addLaneTaps(acc, vt, &wb, 3u);
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 4u); }
  addLaneTaps(acc, vt, &wb, 4u);
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 5u); }
  addLaneTaps(acc, vt, &wb, 5u);
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 6u); }
  addLaneTaps(acc, vt, &wb, 6u);
  for (var t = 0u; t < KW; t++) { wb[t] = subgroupBroadcast((*wt)[t], 7u); }
  addLaneTaps(acc, vt, &wb, 7u);
}

// The 4 channels lane s loaded (4s + c with TAP_MAJOR, else 8c + s): each one's sum over the taps, then one update
// of its accumulator.
fn addLaneTaps(acc: ptr<function, array<vec4f, 32>>, vt: ptr<function, array<vec4f, 9>>,
               wb: ptr<function, array<vec4f, 9>>, s: u32) {
  for (var c = 0u; c < 4u; c++) {
    var sum = vec4f((*wb)[0][c]) * (*vt)[0];
    for (var t = 1u; t < KW; t++) { sum = fma(vec4f((*wb)[t][c]), (*vt)[t], sum); }
    let m = select(8u * c + s, 4u * s + c, TAP_MAJOR);
    (*acc)[m] += sum;
  }
}

// Pixel pair k of the batch's output rows (ow even, so a pair never crosses a row): its image, output row and first
// column, and where its first pixel's window starts in the input.
struct Pair { n: u32, oy: u32, ox: u32, iy: i32, ix: i32 }

fn pairAt(k: u32) -> Pair {
  let perRow = p.ow / 2u;
  let row = k / perRow; // n * oh + oy
  let ox = 2u * (k % perRow);
  let oy = row % p.oh;
  return Pair(row / p.oh, oy, ox, i32(oy * p.strideH) - i32(p.padH), i32(ox * p.strideW) - i32(p.padW));
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let blocksN = (p.runs + WG_X - 1u) / WG_X;
  let t = wid.x + wid.y * nwg.x;
  if (t >= blocksN * p.mBlocks * p.groups) { return; }
  let nb = t % blocksN;
  let mb = (t / blocksN) % p.mBlocks;
  let g = t / (blocksN * p.mBlocks);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let kSize = cinG * p.kh * p.kw;
  let m0 = mb * TM;
  let rows = min(TM, coutG - m0);
  // The weight row this lane loads for the subgroup in block j of 8 channels: channel m0 + 8j + lane % 8 (clamped).
  var wRow = array<u32, 4>();
  for (var j = 0u; j < TM / 8u; j++) { wRow[j] = (g * coutG + m0 + min(8u * j + lane % 8u, rows - 1u)) * kSize; }
  // TAP_MAJOR: where this lane's vec4 of the tile's first K step lies in wq.
  let tapMajorAt = (g * p.mBlocks + mb) * kSize * 8u + lane % 8u;

  let run = min(nb * WG_X + lid, p.runs - 1u);
  let runsPerRow = (p.ow + 4u * QPL - 1u) / (4u * QPL);
  let ox0 = (run % runsPerRow) * 4u * QPL;
  let oy = (run / runsPerRow) % p.oh;
  let n = run / (runsPerRow * p.oh);
  let iy0 = i32(oy * p.strideH) - i32(p.padH);
  let ix0 = i32(ox0 * p.strideW) - i32(p.padW);
  let sw = i32(p.strideW);
  let slide = p.strideW == p.dilW;
  // PAIRS: the run is pixel pairs 2 * run and 2 * run + 1 (the last pair where past it) of the batch's rows of ow/2.
  let pairs = p.batch * p.oh * (p.ow / 2u);
  let pairA = pairAt(min(2u * run, pairs - 1u));
  let pairB = pairAt(min(2u * run + 1u, pairs - 1u));

  var acc = array<vec4f, 32>(); // [m * QPL + q]
  var v = array<vec4f, 4>(); // inputs of the run's pixels for the current (ci, ky, kx)
  var wm = array<f32, 32>(); // the TM weights of the current K step
  for (var ci = 0u; ci < cinG && TAP_SUMS; ci++) {
    let plane = (n * p.cin + g * cinG + ci) * p.h * p.w;
    let planeA = (pairA.n * p.cin + g * cinG + ci) * p.h * p.w;
    let planeB = (pairB.n * p.cin + g * cinG + ci) * p.h * p.w;
    for (var ky = 0u; ky < KH; ky++) {
      let iy = iy0 + i32(ky * p.dilH);
      let iyA = pairA.iy + i32(ky * p.dilH);
      let iyB = pairB.iy + i32(ky * p.dilH);
      var vt: array<vec4f, 9>; // [kx]: the quad's (or pairs') inputs under each tap of the kernel row
      var pa = vec2f();
      var pb = vec2f();
      var u = vec4f();
      if (PAIRS) {
        pa.y = xAt(planeA, iyA, pairA.ix);
        pb.y = xAt(planeB, iyB, pairB.ix);
      } else if (slide) {
        u = vec4f(0.0, xAt(plane, iy, ix0), xAt(plane, iy, ix0 + sw), xAt(plane, iy, ix0 + 2 * sw));
      }
      for (var kx = 0u; kx < KW; kx++) {
        let ix = i32(kx * p.dilW);
        if (PAIRS) {
          pa = vec2f(pa.y, xAt(planeA, iyA, pairA.ix + ix + sw));
          pb = vec2f(pb.y, xAt(planeB, iyB, pairB.ix + ix + sw));
          u = vec4f(pa, pb);
        } else if (slide) {
          u = vec4f(u.yzw, xAt(plane, iy, ix0 + ix + 3 * sw));
        } else {
          let iq = ix0 + ix;
          u = vec4f(xAt(plane, iy, iq), xAt(plane, iy, iq + sw), xAt(plane, iy, iq + 2 * sw),
                    xAt(plane, iy, iq + 3 * sw));
        }
        vt[kx] = u;
      }
      // Lane s's weights of each tap: channels 4s .. 4s + 3 (TAP_MAJOR), else channel 8j + s in component j.
      let tap = (ci * KH + ky) * KW;
      var wt: array<vec4f, 9>;
      for (var kx = 0u; kx < KW; kx++) {
        if (TAP_MAJOR) {
          wt[kx] = wq[tapMajorAt + (tap + kx) * 8u];
        } else {
          wt[kx] = vec4f(w[wRow[0] + tap + kx], w[wRow[1] + tap + kx], w[wRow[2] + tap + kx], w[wRow[3] + tap + kx]);
        }
      }
      addTapSums(&acc, &vt, &wt);
    }
  }
  for (var ci = 0u; ci < cinG && !TAP_SUMS; ci++) {
    let plane = (n * p.cin + g * cinG + ci) * p.h * p.w;
    let planeA = (pairA.n * p.cin + g * cinG + ci) * p.h * p.w;
    let planeB = (pairB.n * p.cin + g * cinG + ci) * p.h * p.w;
    for (var ky = 0u; ky < KH; ky++) {
      let iy = iy0 + i32(ky * p.dilH);
      let tap = (ci * p.kh + ky) * p.kw;
      let iyA = pairA.iy + i32(ky * p.dilH);
      let iyB = pairB.iy + i32(ky * p.dilH);
      // Each pair slides as the quads do: its first pixel's input at kx = 0 now, the second's loaded per tap below.
      var pa = vec2f();
      var pb = vec2f();
      if (PAIRS) {
        pa.y = xAt(planeA, iyA, pairA.ix);
        pb.y = xAt(planeB, iyB, pairB.ix);
      }
      if (slide && !PAIRS) {
        // Pixels 1 .. 4*QPL-1 of kx = 0 (shifted into place below); pixel 0's slot is filled by the shift.
        for (var q = 0u; q < QPL; q++) {
          let ix = ix0 + i32(4u * q) * sw;
          v[q] = vec4f(select(0.0, xAt(plane, iy, ix - sw), q > 0u), xAt(plane, iy, ix), xAt(plane, iy, ix + sw),
                       xAt(plane, iy, ix + 2 * sw));
        }
      }
      for (var kx = 0u; kx < KW; kx++) {
        let ix = ix0 + i32(kx * p.dilW);
        if (PAIRS) {
          pa = vec2f(pa.y, xAt(planeA, iyA, pairA.ix + i32(kx * p.dilW) + sw));
          pb = vec2f(pb.y, xAt(planeB, iyB, pairB.ix + i32(kx * p.dilW) + sw));
          v[0] = vec4f(pa, pb);
        } else if (slide) {
          for (var q = 0u; q + 1u < QPL; q++) { v[q] = vec4f(v[q].yzw, v[q + 1u].x); }
          v[QPL - 1u] = vec4f(v[QPL - 1u].yzw, xAt(plane, iy, ix + i32(4u * QPL - 1u) * sw));
        } else {
          for (var q = 0u; q < QPL; q++) {
            let iq = ix + i32(4u * q) * sw;
            v[q] = vec4f(xAt(plane, iy, iq), xAt(plane, iy, iq + sw), xAt(plane, iy, iq + 2 * sw),
                         xAt(plane, iy, iq + 3 * sw));
          }
        }
        if (TAP_MAJOR) {
          broadcastQuads(&wm, wq[tapMajorAt + (tap + kx) * 8u]);
        } else {
          for (var j = 0u; j < TM / 8u; j++) { broadcastWeights(&wm, j, w[wRow[j] + tap + kx]); }
        }
        for (var m = 0u; m < TM; m++) {
          for (var q = 0u; q < QPL; q++) { acc[m * QPL + q] = fma(vec4f(wm[m]), v[q], acc[m * QPL + q]); }
        }
      }
    }
  }
  if (nb * WG_X + lid >= p.runs) { return; }
  if (PAIRS) {
    for (var m = 0u; m < TM; m++) {
      if (m >= rows) { continue; }
      let co = g * coutG + m0 + m;
      let r = epilogue(acc[m] + select(0.0, b[co], p.hasBias == 1u), co);
      let at = ((pairA.n * p.cout + co) * p.oh + pairA.oy) * p.ow + pairA.ox;
      put(at, r.x);
      put(at + 1u, r.y);
      if (2u * run + 1u < pairs) {
        let bt = ((pairB.n * p.cout + co) * p.oh + pairB.oy) * p.ow + pairB.ox;
        put(bt, r.z);
        put(bt + 1u, r.w);
      }
    }
    return;
  }
  // Constant loop bounds keep acc in registers (a runtime index would move it to memory).
  for (var m = 0u; m < TM; m++) {
    if (m >= rows) { continue; }
    let co = g * coutG + m0 + m;
    let bias = select(0.0, b[co], p.hasBias == 1u);
    let base = ((n * p.cout + co) * p.oh + oy) * p.ow;
    for (var q = 0u; q < QPL; q++) {
      let r = epilogue(acc[m * QPL + q] + bias, co);
      let ox = ox0 + 4u * q;
      if (ox < p.ow) { put(base + ox, r.x); }
      if (ox + 1u < p.ow) { put(base + ox + 1u, r.y); }
      if (ox + 2u < p.ow) { put(base + ox + 2u, r.z); }
      if (ox + 3u < p.ow) { put(base + ox + 3u, r.w); }
    }
  }
}
