enable subgroups;
// conv2d.forward (variant 4, pointwise GEMM with subgroup-shared weights): the same result as forward.wgsl for a
//   1x1 kernel without padding, any stride (ResNet's bottleneck and downsampling convolutions). Per image n and group
//   g this is a plain matrix product Y[n, g] = W_g X[n, g] with W_g [cout/groups, cin/groups] and X the strided
//   [cin/groups, oh*ow] view of x: no im2col and no bounds tests. Each workgroup owns TM output channels; each thread
//   a run of 4*QPL consecutive output pixels of one image plane (flattened over rows, so 7x7 planes waste no lanes
//   on row ends), whose input offsets it computes once. K (the input channels) is walked 4 at a time: in each block
//   of 8 channels, lane j of every subgroup loads 4 consecutive weights of channel j and subgroupBroadcast hands them
//   to all lanes, so per input channel a thread loads its 4*QPL inputs and TM / 32 weights (see forward_3_subgroup
//   for why sharing loads this way pays under lavapipe). Needs subgroups of at least 8 lanes (the caller checks).
//   Lavapipe pays per lane and component for a load (~12 ns a scalar for 8 lanes, ~22 a vec4), so where they are
//   aligned the 4 weights come as one vec4 (W_QUADS) and, with inputs first, a run's 4 inputs too (X_QUADS). Batch
//   15, ResNet-50's 1x1s, taking turns: 14 x 14 expand 55.9 -> 49.5 ms, reduce 56.4 -> 49.0 and its input gradient
//   114.3 -> 97.6; 56 x 56 reduce 48.4 -> 45.8. Vec4 inputs without inputs first measured no faster at 56 x 56.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 w: OIHW f32 [cout, cin/groups, 1, 1] (read);
//   @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32 [batch, cout, oh, ow] (read_write,
//   overwritten); @5 w4, @6 x4: w and x again, as vec4s (read; any buffer of 16 bytes or more without W_QUADS,
//   X_QUADS); @7 stats: batchnorm2d's [5, cout] stats rows for AFFINE, @8 res: the identity, like y, for RESIDUAL
//   (affine_epilogue.wgsl; read; any buffer of 4 bytes or more without).
// Params: batch, cin, cout, groups, w (input width; ow when packed), inPlane (= h*w; 4 * ceil(plane / 4) when packed),
//   ow, plane (= oh*ow), strideH, strideW, hasBias, runsPerPlane (= ceil(plane / (4*QPL))),
//   mBlocks (= ceil(cout/groups / TM)).
// Workgroup: WG_X threads (8 .. 64, a multiple of 8); overrides TM (channels per thread: 8, 16 or 32) and QPL (quads
//   per thread: 1 or 2), TM * QPL <= 32, AFFINE and RESIDUAL (affine_epilogue.wgsl: an eval-mode batch norm, its ReLU,
//   a residual block's end, applied as the outputs are stored), and INPUTS_FIRST: load the 4 input channels' inputs
//   first and add each output channel's broadcast weights as they arrive (addBlock), instead of keeping all TM x 4
//   broadcast weights live and then loading the inputs one channel at a time. Lavapipe, 32 x 1 tiles, batch 15,
//   ResNet-50's 1x1s: at 28 x 28, 14 x 14 and 7 x 7 inputs first 52-56 ms against 60-74; at 56 x 56 78-83 against
//   63-73. W_QUADS: cin/groups % 4 == 0. X_QUADS (with INPUTS_FIRST): stride 1, w == ow and inPlane % 4 == 0, so a
//   run's inputs are an aligned quad (the host packs other inputs so first: pack_planes). With INPUTS_FIRST each output
//   channel sums its 4 input channels' products before its accumulator takes them (addChannel): taking turns, batch 15,
//   14 x 14 expand 50.3 -> 42.5 ms, reduce 85.0 -> 66.6, the reduce's input gradient 80.7 -> 60.6. Done the same way
//   without INPUTS_FIRST (all 4 inputs, then a loop over the channels) the loop stayed rolled and ran 2x slower at 56 x
//   56. Every subgroup operation sits in uniform control flow: threads past the last run, pixels past the end of a
//   plane and channels past the group's last one work on clamped (valid) addresses and only skip the store.
// Grid: linearGrid(ceil(batch * runsPerPlane / WG_X) * mBlocks * groups), pixel blocks fastest.
struct Params {
  batch: u32, cin: u32, cout: u32, groups: u32, w: u32, inPlane: u32, ow: u32, plane: u32, strideH: u32, strideW: u32,
  hasBias: u32, runsPerPlane: u32, mBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override QPL: u32 = 1u;
override INPUTS_FIRST: bool = false;
override W_QUADS: bool = false;
override X_QUADS: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> w4: array<vec4f>;
@group(0) @binding(6) var<storage, read> x4: array<vec4f>;
@group(0) @binding(7) var<storage, read> stats: array<f32>;
@group(0) @binding(8) var<storage, read> res: array<f32>;

//!include conv2d/affine_epilogue

/** The 4*QPL inputs of the thread's run in the input plane starting at `row` (a vec4 load a quad with X_QUADS). */
fn loadRun(row: u32, at: array<vec4u, 2>) -> array<vec4f, 2> {
  var v = array<vec4f, 2>();
  for (var q = 0u; q < QPL; q++) {
    let o = at[q] + row;
    if (X_QUADS) { v[q] = x4[o.x / 4u]; } else { v[q] = vec4f(x[o.x], x[o.y], x[o.z], x[o.w]); }
  }
  return v;
}

/** The 4 weights from w[r] on (r % 4 == 0 with W_QUADS). */
fn weightQuad(r: u32) -> vec4f {
  if (W_QUADS) { return w4[r / 4u]; }
  return vec4f(w[r], w[r + 1u], w[r + 2u], w[r + 3u]);
}

/** Where output pixel `px` of a plane (clamped to the last one) reads its input, from the start of an input plane. */
fn inputOffset(px: u32) -> u32 {
  let c = min(px, p.plane - 1u);
  return (c / p.ow) * p.strideH * p.w + (c % p.ow) * p.strideW;
}

// INPUTS_FIRST: block j of 8 output channels, whose lanes load 4 weights each from `r` on; each channel's weights,
// broadcast, meet the inputs v of the 4 input channels at once. One call per block, not a loop: with TM = 32 a loop
// stayed rolled and acc was indexed at run time (5x slower).
fn addBlock(acc: ptr<function, array<vec4f, 32>>, j: u32, r: u32, v: ptr<function, array<vec4f, 8>>) {
  let wv = weightQuad(r);
  addChannel(acc, 8u * j, subgroupBroadcast(wv, 0u), v);
  addChannel(acc, 8u * j + 1u, subgroupBroadcast(wv, 1u), v);
  addChannel(acc, 8u * j + 2u, subgroupBroadcast(wv, 2u), v);
  addChannel(acc, 8u * j + 3u, subgroupBroadcast(wv, 3u), v);
  addChannel(acc, 8u * j + 4u, subgroupBroadcast(wv, 4u), v);
  addChannel(acc, 8u * j + 5u, subgroupBroadcast(wv, 5u), v);
  addChannel(acc, 8u * j + 6u, subgroupBroadcast(wv, 6u), v);
  addChannel(acc, 8u * j + 7u, subgroupBroadcast(wv, 7u), v);
}

// The 4 input channels' products are summed first and the accumulator takes the sum: lavapipe stores every update
// of a value carried round a loop through the execution mask (a reload, a blend, a store), so one update per 4 FMAs
// rather than one per FMA pays.
fn addChannel(acc: ptr<function, array<vec4f, 32>>, m: u32, wm: vec4f, v: ptr<function, array<vec4f, 8>>) {
  for (var q = 0u; q < QPL; q++) {
    var sum = vec4f(wm[0]) * (*v)[q];
    for (var k = 1u; k < 4u; k++) { sum = fma(vec4f(wm[k]), (*v)[k * QPL + q], sum); }
    (*acc)[m * QPL + q] += sum;
  }
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let runs = p.batch * p.runsPerPlane;
  let blocksN = (runs + WG_X - 1u) / WG_X;
  let t = wid.x + wid.y * nwg.x;
  if (t >= blocksN * p.mBlocks * p.groups) { return; }
  let nb = t % blocksN;
  let mb = (t / blocksN) % p.mBlocks;
  let g = t / (blocksN * p.mBlocks);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let m0 = mb * TM;
  let rows = min(TM, coutG - m0);
  // The weight row this lane loads for the subgroup in block j of 8 channels: channel m0 + 8j + lane % 8 (clamped).
  var wRow = array<u32, 4>();
  for (var j = 0u; j < TM / 8u; j++) { wRow[j] = (g * coutG + m0 + min(8u * j + lane % 8u, rows - 1u)) * cinG; }

  let run = min(nb * WG_X + lid, runs - 1u);
  let n = run / p.runsPerPlane;
  let px0 = (run % p.runsPerPlane) * 4u * QPL;
  let xBase = (n * p.cin + g * cinG) * p.inPlane;
  var at = array<vec4u, 2>();
  for (var q = 0u; q < QPL; q++) {
    let px = px0 + 4u * q;
    at[q] = vec4u(inputOffset(px), inputOffset(px + 1u), inputOffset(px + 2u), inputOffset(px + 3u));
  }

  var acc = array<vec4f, 32>(); // [m * QPL + q]
  var wb = array<vec4f, 32>(); // weights of channels m0 .. m0+TM-1 for input channels ci .. ci+3
  var ci = 0u;
  if (INPUTS_FIRST) {
    for (; ci + 4u <= cinG; ci += 4u) {
      var v = array<vec4f, 8>(); // [k * QPL + q]: the run's inputs of input channel ci + k
      for (var k = 0u; k < 4u; k++) {
        let run = loadRun(xBase + (ci + k) * p.inPlane, at);
        for (var q = 0u; q < QPL; q++) { v[k * QPL + q] = run[q]; }
      }
      addBlock(&acc, 0u, wRow[0] + ci, &v);
      if (TM > 8u) { addBlock(&acc, 1u, wRow[1] + ci, &v); }
      if (TM > 16u) { addBlock(&acc, 2u, wRow[2] + ci, &v); addBlock(&acc, 3u, wRow[3] + ci, &v); }
    }
  }
  for (; ci + 4u <= cinG; ci += 4u) {
    for (var j = 0u; j < TM / 8u; j++) {
      let r = wRow[j] + ci;
      let wv = weightQuad(r);
      wb[8u * j] = subgroupBroadcast(wv, 0u);
      wb[8u * j + 1u] = subgroupBroadcast(wv, 1u);
      wb[8u * j + 2u] = subgroupBroadcast(wv, 2u);
      wb[8u * j + 3u] = subgroupBroadcast(wv, 3u);
      wb[8u * j + 4u] = subgroupBroadcast(wv, 4u);
      wb[8u * j + 5u] = subgroupBroadcast(wv, 5u);
      wb[8u * j + 6u] = subgroupBroadcast(wv, 6u);
      wb[8u * j + 7u] = subgroupBroadcast(wv, 7u);
    }
    for (var k = 0u; k < 4u; k++) {
      let v = loadRun(xBase + (ci + k) * p.inPlane, at);
      for (var m = 0u; m < TM; m++) {
        let wm = vec4f(wb[m][k]);
        for (var q = 0u; q < QPL; q++) { acc[m * QPL + q] = fma(wm, v[q], acc[m * QPL + q]); }
      }
    }
  }
  // Input channels past the last multiple of 4, one at a time.
  for (; ci < cinG; ci++) {
    for (var j = 0u; j < TM / 8u; j++) {
      let wv = w[wRow[j] + ci];
      wb[8u * j] = vec4f(subgroupBroadcast(wv, 0u));
      wb[8u * j + 1u] = vec4f(subgroupBroadcast(wv, 1u));
      wb[8u * j + 2u] = vec4f(subgroupBroadcast(wv, 2u));
      wb[8u * j + 3u] = vec4f(subgroupBroadcast(wv, 3u));
      wb[8u * j + 4u] = vec4f(subgroupBroadcast(wv, 4u));
      wb[8u * j + 5u] = vec4f(subgroupBroadcast(wv, 5u));
      wb[8u * j + 6u] = vec4f(subgroupBroadcast(wv, 6u));
      wb[8u * j + 7u] = vec4f(subgroupBroadcast(wv, 7u));
    }
    let v = loadRun(xBase + ci * p.inPlane, at);
    for (var m = 0u; m < TM; m++) {
      for (var q = 0u; q < QPL; q++) { acc[m * QPL + q] = fma(wb[m], v[q], acc[m * QPL + q]); }
    }
  }
  if (nb * WG_X + lid >= runs) { return; }
  // Constant loop bounds keep acc in registers (a runtime index would move it to memory).
  for (var m = 0u; m < TM; m++) {
    if (m >= rows) { continue; }
    let co = g * coutG + m0 + m;
    let bias = select(0.0, b[co], p.hasBias == 1u);
    let base = (n * p.cout + co) * p.plane;
    for (var q = 0u; q < QPL; q++) {
      let r = epilogue(acc[m * QPL + q] + bias, co);
      let px = px0 + 4u * q;
      if (px < p.plane) { put(base + px, r.x); }
      if (px + 1u < p.plane) { put(base + px + 1u, r.y); }
      if (px + 2u < p.plane) { put(base + px + 2u, r.z); }
      if (px + 3u < p.plane) { put(base + px + 3u, r.w); }
    }
  }
}
