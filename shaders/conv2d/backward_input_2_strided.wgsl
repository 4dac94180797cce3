// conv2d.backward_input (variant 2, strided): the same dx as backward_input.wgsl for stride > 1 (dilation 1), as a
//   register-tiled GEMM per phase instead of a gather per element.
//   With stride s, the inputs of one phase (iy = py + s*j, ix = px + s*i) are reached only by the taps
//   ky = ry + s*ty (ry = (py + padH) % s, ty = 0 .. Ty-1) and kx = rx + s*tx, at oy = j + qy - ty and
//   ox = i + qx - tx (qy = (py + padH - ry) / s, likewise qx): a stride-1 correlation of dy with that subset of the
//   weights. A phase no tap reaches (a 1x1 stride-2 conv's odd rows or columns) is all zeros.
//   Each thread owns TM input channels of one group and a run of 4*QPL consecutive i of one phase row (n, py, px, j),
//   like forward_2_gemm's tile: per (co, ty, tx) it loads TM weights and the run's dy values, which slide by one
//   element per tx step (tx walked downwards), so one new dy load per step instead of 4*QPL. A workgroup stays in one
//   phase, so its threads share the taps: the weight loads are uniform and no lane loops over taps another has not
//   (on a SIMD CPU a lane of a tap-less phase would otherwise idle through its neighbours' loops).
// Bindings: @0 p: Params; @1 dy: NCHW f32 [batch, cout, oh, ow] (read); @2 w: OIHW f32 [cout, cin/groups, kh, kw] (read);
//   @3 dx: NCHW f32 [batch, cin, h, w] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups;
//   dilation 1), rowsJ (= ceil(h / strideH)), runsPerRow (= ceil(ceil(w / strideW) / (4*QPL))),
//   runs (= batch * rowsJ * runsPerRow, one per thread, per phase), mBlocks (= ceil(cin/groups / TM)).
// Workgroup: WG_X threads; overrides TM (input channels per thread, <= 16) and QPL (quads per thread, <= 4),
//   TM * QPL <= 32 (lavapipe's unroll budget, as forward_2_gemm).
// Grid: linearGrid(ceil(runs / WG_X) * strideH * strideW * mBlocks * groups), runs fastest, then phases.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  rowsJ: u32, runsPerRow: u32, runs: u32, mBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 8u;
override QPL: u32 = 4u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

//!include conv2d/strided_phase

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let blocksN = (p.runs + WG_X - 1u) / WG_X;
  let phases = p.strideH * p.strideW;
  let t = wid.x + wid.y * nwg.x;
  if (t >= blocksN * phases * p.mBlocks * p.groups) { return; }
  let run = (t % blocksN) * WG_X + lid;
  if (run >= p.runs) { return; }
  let phase = (t / blocksN) % phases;
  let mb = (t / (blocksN * phases)) % p.mBlocks;
  let g = t / (blocksN * phases * p.mBlocks);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let m0 = mb * TM;
  let rows = min(TM, cinG - m0);

  let r = phaseRun(run, phase);
  let n = r.n;
  let iy = r.iy;
  let i0 = r.i0;
  let px = r.px;
  if (iy >= p.h || px + p.strideW * i0 >= p.w) { return; }
  let ry = r.ry;
  let rx = r.rx;
  let ty = select(0u, (p.kh - ry + p.strideH - 1u) / p.strideH, ry < p.kh);
  let tx = select(0u, (p.kw - rx + p.strideW - 1u) / p.strideW, rx < p.kw);
  let oyBase = r.oyBase;
  let oxBase = r.oxBase;

  var acc = array<vec4f, 32>(); // [m * QPL + q]: dx at i = i0 + 4q .. i0 + 4q + 3
  var v: array<vec4f, 4>; // dy under the run for the current (co, ty, tx)
  for (var co = 0u; co < coutG; co++) {
    let plane = (n * p.cout + g * coutG + co) * p.oh * p.ow;
    let wBase = ((g * coutG + co) * cinG + m0) * p.kh * p.kw;
    for (var a = 0u; a < ty; a++) {
      let oy = oyBase - i32(a);
      let ky = ry + p.strideH * a;
      // tx walked from the last tap down, so ox0 grows by one per step and the run's dy values slide left by one.
      let oxFirst = oxBase - i32(tx) + 1;
      for (var q = 0u; q < QPL; q++) {
        let ox = oxFirst + i32(4u * q);
        v[q] = vec4f(select(0.0, dyAt(plane, oy, ox - 1), q > 0u), dyAt(plane, oy, ox), dyAt(plane, oy, ox + 1),
                     dyAt(plane, oy, ox + 2));
      }
      for (var step = 0u; step < tx; step++) {
        let b = tx - 1u - step;
        let kx = rx + p.strideW * b;
        let ox0 = oxFirst + i32(step);
        for (var q = 0u; q + 1u < QPL; q++) { v[q] = vec4f(v[q].yzw, v[q + 1u].x); }
        v[QPL - 1u] = vec4f(v[QPL - 1u].yzw, dyAt(plane, oy, ox0 + i32(4u * QPL - 1u)));
        for (var m = 0u; m < TM; m++) {
          let wm = select(0.0, w[wBase + min(m, rows - 1u) * p.kh * p.kw + ky * p.kw + kx], m < rows);
          for (var q = 0u; q < QPL; q++) { acc[m * QPL + q] = fma(vec4f(wm), v[q], acc[m * QPL + q]); }
        }
      }
    }
  }
  storeRun(&acc, r, g * cinG + m0, rows);
}
