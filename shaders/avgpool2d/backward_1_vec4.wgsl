// avgpool2d.backward_1_vec4: as backward.wgsl (dx = sum over the windows containing the element of dy / divisor,
// in row-major window order: deterministic, no atomics, overwrites dx), for w % (4 * V) == 0, laid out for lavapipe:
// each 16-wide workgroup takes a chunk of one plane, each thread loops over `items` runs of V vec4s of dx (4V
// adjacent columns of ROWS adjacent rows), and the windows that can touch a run (at most RY rows by RX columns of
// windows) are unrolled, each window's dy read once per run: with ROWS = 2 the rows share the windows that cover both
// (CNN-X's 2x2 stride-3 windows do), so dy is read about half as often per dx value.
// Bindings: @0 p: Params; @1 dy: array<f32> [N, cy, oh, ow], this pool's channels at [offset, offset + c) (read);
// @2 dx: array<vec4f> NCHW [planes, h, w / 4] (read_write).
// Params: planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw (always 1), c, cy, offset (as avgpool2d.forward),
// countIncludePad (0 or 1),
// divisorOverride (i32, 0: none), items (runs per thread), blocks (chunks per plane), groups (= planes * blocks).
// Needs h * w / 4 and h + ph + sh, w + pw + sw under 2^22 (quot, pool2d/quotient.wgsl).
// Workgroup: WG_X threads; grid = linearGrid(groups); override constants V (1 or 2), ROWS (1 or 2),
// RY = floor((kh-1 + ROWS - 1) / sh) + 1, RX = floor((kw-1 + 4V - 1) / sw) + 1.
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32,
                dh: u32, dw: u32, c: u32, cy: u32, offset: u32,
                countIncludePad: u32, divisorOverride: i32, items: u32, blocks: u32, groups: u32 }

override WG_X: u32;
override RY: u32;
override RX: u32;
override V: u32;
override ROWS: u32 = 1u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<vec4f>;

//!include pool2d/quotient
//!include avgpool2d/divisor
//!include pool2d/slot

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.blocks;
  let w4 = p.w / 4u;
  let runs = w4 / V;
  let per = ((p.h + ROWS - 1u) / ROWS) * runs;
  let first = (g - plane * p.blocks) * p.items * WG_X;
  let end = min(first + p.items * WG_X, per);
  let yBase = yPlane(plane) * p.oh * p.ow;
  let xBase = plane * p.h * w4;
  let invRuns = 1.0 / f32(runs);
  let invSh = 1.0 / f32(p.sh);
  let invSw = 1.0 / f32(p.sw);
  for (var t = first + lid; t < end; t += WG_X) {
    let by = quot(t, invRuns);
    let iy = by * ROWS;
    let c = 4u * V * (t - by * runs);
    // Padded coordinates; the first window that can reach them (windows past them start too late).
    let ry = iy + p.ph;
    let rx = c + p.pw;
    let oy0 = select(0u, quot(ry - p.kh + p.sh, invSh), ry >= p.kh);
    let ox0 = select(0u, quot(rx - p.kw + p.sw, invSw), rx >= p.kw);
    let cols = vec4i(i32(c)) + vec4i(0, 1, 2, 3);
    var g4 = array<vec4f, 4>(); // [r * V + k]; initialised explicitly: a bare `var` in a loop was not re-zeroed here
    for (var a = 0u; a < RY; a++) {
      let oy = oy0 + a;
      if (oy < p.oh && oy * p.sh <= ry + ROWS - 1u) {
        let r = span(oy, p.sh, p.ph, p.kh, p.h);
        for (var b = 0u; b < RX; b++) {
          let ox = ox0 + b;
          if (ox < p.ow && ox * p.sw <= rx + 4u * V - 1u) {
            let s = span(ox, p.sw, p.pw, p.kw, p.w);
            let v = vec4f(dy[yBase + oy * p.ow + ox] / divisor(r, s));
            for (var rr = 0u; rr < ROWS; rr++) {
              let row = i32(iy + rr);
              let vr = select(vec4f(), v, row >= r.x && row < r.x + i32(p.kh));
              for (var k = 0u; k < V; k++) {
                let at = cols + vec4i(4 * i32(k));
                g4[rr * V + k] += select(vec4f(), vr, (at >= vec4i(s.x)) & (at < vec4i(s.x + i32(p.kw))));
              }
            }
          }
        }
      }
    }
    for (var rr = 0u; rr < ROWS; rr++) {
      if (iy + rr >= p.h) { continue; }
      for (var k = 0u; k < V; k++) {
        dx[xBase + (iy + rr) * w4 + c / 4u + k] = g4[rr * V + k];
      }
    }
  }
}
