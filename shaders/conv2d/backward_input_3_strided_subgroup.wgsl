enable subgroups;
// conv2d.backward_input (variant 3, strided, subgroup-shared weights): backward_input_2_strided's phases and tiles
//   (see there: for stride s, each phase of the inputs is a stride-1 correlation of dy with a subset of the taps; a
//   thread owns TM input channels and a run of 4*QPL consecutive i of one phase row, dy sliding along the taps), with
//   two changes for lavapipe. The TM weights of a step reach the threads as in forward_3_subgroup: in each block of 8
//   channels lane j loads channel j's weight and subgroupBroadcast hands it to every lane (backward_input_2_strided's
//   weight addresses are the same for every lane, and lavapipe does not load those once: each load took a branch and
//   a stack slot). And one dispatch runs one phase, its taps along each axis (TY x TX) as constants, so the tap loops
//   unroll. ResNet-50's stride-2 3x3 input gradients at batch 4 (layer2's and layer4's): 110-118 ms before, 58-68
//   with the broadcasts alone, 35-41 with both.
//   Every subgroup operation sits in uniform control flow: threads past the last run, and runs past a phase's last
//   row or column, compute on clamped addresses and only skip the store. Needs subgroups of at least 8 lanes.
// Bindings: @0 p: Params; @1 dy: NCHW f32 [batch, cout, oh, ow] (read); @2 w: OIHW f32 [cout, cin/groups, kh, kw]
//   (read); @3 dx: NCHW f32 [batch, cin, h, w] (read_write, overwritten at this phase's inputs).
// Params: as backward_input_2_strided (the conv shape, dilation 1; rowsJ, runsPerRow, runs, mBlocks), and phase
//   (py * strideW + px).
// Workgroup: WG_X threads (8 .. 64, a multiple of 8); overrides TM (input channels per thread: 8, 16 or 32) and QPL
//   (quads per thread), TM * QPL <= 32, TY and TX (the phase's taps per axis; 0 where none reach it: zeros).
// Grid: linearGrid(ceil(runs / WG_X) * mBlocks * groups), runs fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  rowsJ: u32, runsPerRow: u32, runs: u32, mBlocks: u32, phase: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override QPL: u32 = 4u;
override TY: u32 = 1u;
override TX: u32 = 1u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

//!include conv2d/strided_phase
//!include conv2d/weight_broadcast

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let blocksN = (p.runs + WG_X - 1u) / WG_X;
  let t = wid.x + wid.y * nwg.x;
  if (t >= blocksN * p.mBlocks * p.groups) { return; }
  let run = min((t % blocksN) * WG_X + lid, p.runs - 1u);
  let phase = p.phase;
  let mb = (t / blocksN) % p.mBlocks;
  let g = t / (blocksN * p.mBlocks);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let taps = p.kh * p.kw;
  let m0 = mb * TM;
  let rows = min(TM, cinG - m0);
  // The weight row offset this lane loads for the subgroup in block j of 8 channels (clamped to the last channel).
  var wCol = array<u32, 4>();
  for (var j = 0u; j < TM / 8u; j++) { wCol[j] = (m0 + min(8u * j + lane % 8u, rows - 1u)) * taps; }

  let r = phaseRun(run, phase);
  let ty = TY;
  let tx = TX;

  var acc = array<vec4f, 32>(); // [m * QPL + q]: dx at i = i0 + 4q .. i0 + 4q + 3
  var v = array<vec4f, 4>(); // dy under the run for the current (co, ty, tx)
  var wm = array<f32, 32>(); // the TM weights of the current step
  for (var co = 0u; co < coutG; co++) {
    let plane = (r.n * p.cout + g * coutG + co) * p.oh * p.ow;
    let wBase = (g * coutG + co) * cinG * taps;
    for (var a = 0u; a < ty; a++) {
      let oy = r.oyBase - i32(a);
      let ky = r.ry + p.strideH * a;
      // tx walked from the last tap down, so ox0 grows by one per step and the run's dy values slide left by one.
      let oxFirst = r.oxBase - i32(tx) + 1;
      for (var q = 0u; q < QPL; q++) {
        let ox = oxFirst + i32(4u * q);
        v[q] = vec4f(select(0.0, dyAt(plane, oy, ox - 1), q > 0u), dyAt(plane, oy, ox), dyAt(plane, oy, ox + 1),
                     dyAt(plane, oy, ox + 2));
      }
      for (var step = 0u; step < tx; step++) {
        let kx = r.rx + p.strideW * (tx - 1u - step);
        let ox0 = oxFirst + i32(step);
        for (var q = 0u; q + 1u < QPL; q++) { v[q] = vec4f(v[q].yzw, v[q + 1u].x); }
        v[QPL - 1u] = vec4f(v[QPL - 1u].yzw, dyAt(plane, oy, ox0 + i32(4u * QPL - 1u)));
        let tap = ky * p.kw + kx;
        for (var j = 0u; j < TM / 8u; j++) {
          broadcastWeights(&wm, j, w[wBase + wCol[j] + tap]);
        }
        for (var m = 0u; m < TM; m++) {
          for (var q = 0u; q < QPL; q++) { acc[m * QPL + q] = fma(vec4f(wm[m]), v[q], acc[m * QPL + q]); }
        }
      }
    }
  }
  if ((t % blocksN) * WG_X + lid >= p.runs || r.iy >= p.h) { return; }
  storeRun(&acc, r, g * cinG + m0, rows);
}
