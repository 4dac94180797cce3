// roofline.fma: the arithmetic roof. Each thread runs `iters` rounds of 8 independent vec4 fused multiply-adds
// (acc = fma(acc, a, b), 8 chains so the FMA latency is hidden), UNROLL rounds per loop iteration, then writes the
// sum of its accumulators so the compiler cannot drop the loop. FLOPs = threads * iters * 8 * 4 lanes * 2.
// UNROLL matters on software devices: lavapipe pays per loop iteration (exit test, execution mask, the chains
// carried round the loop), so on a 2-core AMD EPYC one round an iteration ran 80-94 GFLOP/s, 4 rounds 136-138.
// Bindings: @0 p: Params; @1 y: array<vec4f> (read_write), one vec4 per thread (the result itself is meaningless;
// with a = 1 - 2^-20 and b = 2^-20 every accumulator stays in [0, 1]).
// Params: iters (rounds per thread), a, b (the FMA operands, uniform so they are not constants), groups (workgroups).
// Workgroup: WG_X threads; override UNROLL (rounds per loop iteration; iters is a multiple of it);
//   grid = linearGrid(groups), threads = WG_X * groups.
struct Params { iters: u32, a: f32, b: f32, groups: u32 }

override WG_X: u32;
override UNROLL: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let a = vec4f(p.a);
  let b = vec4f(p.b);
  let s = f32(lid) * 1e-3;
  var c0 = vec4f(s, 0.1, 0.2, 0.3);
  var c1 = c0 + 0.01;
  var c2 = c0 + 0.02;
  var c3 = c0 + 0.03;
  var c4 = c0 + 0.04;
  var c5 = c0 + 0.05;
  var c6 = c0 + 0.06;
  var c7 = c0 + 0.07;
  for (var k = 0u; k < p.iters; k += UNROLL) {
    for (var u = 0u; u < UNROLL; u++) {
      c0 = fma(c0, a, b);
      c1 = fma(c1, a, b);
      c2 = fma(c2, a, b);
      c3 = fma(c3, a, b);
      c4 = fma(c4, a, b);
      c5 = fma(c5, a, b);
      c6 = fma(c6, a, b);
      c7 = fma(c7, a, b);
    }
  }
  y[i] = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
}
