// conv2d.forward_6_depthwise_multi_stats: forward_6_depthwise_multi (same y, see there) that also writes the batch
//   statistics partials of y as batchnorm2d's stats_partial pass would, for a batch norm that reads y next (CNN-X's
//   branches in training): y is then not read again for them. Each thread writes, per channel, (count, mean, M2) of
//   the outputs it computed, from shifted sums (below); stats_finalize merges them in a fixed order (deterministic).
// Bindings: @0 p: Params; @1 x, @2 w, @3 b, @4 y, @5 x4 as forward_6_depthwise_multi; @6 part: array<vec4f>
//   (read_write), [batch * cout * chunks * strips] of (count, mean, M2, 0), index (n * cout + c) * chunks * strips +
//   chunk * strips + strip (one per thread and channel, the stats passes' chunks of the plane), each written once.
// Params, workgroup and grid as forward_6_depthwise_multi.
@group(0) @binding(6) var<storage, read_write> part: array<vec4f>;

// Per channel, the thread's sums of (y - shift) and (y - shift)^2 over its outputs, from the first keepRow to
// finish(): about the first output it computed, not about 0, so the variance does not come out as the difference of
// two large sums where y's mean is large against its spread. Merging each row's exact (mean, M2) instead cost most of
// what skipping the stats pass saves (CNN-X at batch 15 on lavapipe, 2-core AMD EPYC: 3x3 forward 14.0 -> 19.8 ms,
// 5x5 18.8 -> 22.1); these sums cost 0.1-2.4 ms a conv, against ~6 ms for a stats pass over its y.
var<private> shift: array<f32, 4>;
var<private> s1: array<f32, 4>;
var<private> s2: array<f32, 4>;
var<private> rows: u32;

fn keepRow(acc: ptr<function, array<vec4f, 8>>, cols: u32) {
  if (rows == 0u) {
    for (var c = 0u; c < TMC; c++) { shift[c] = (*acc)[c * STRIP / 4u].x; }
  }
  rows++;
  for (var c = 0u; c < TMC; c++) {
    for (var q = 0u; q < STRIP / 4u; q++) {
      var d = (*acc)[c * STRIP / 4u + q] - shift[c];
      // Only a row's last strip can be cut short: the mask costs the others nothing.
      if (cols < STRIP) { d *= vec4f(vec4u(4u * q) + vec4u(0u, 1u, 2u, 3u) < vec4u(cols)); }
      s1[c] += (d.x + d.y) + (d.z + d.w);
      s2[c] += dot(d, d);
    }
  }
}

fn finish(n: u32, co0: u32, chunk: u32, s: u32) {
  let per = p.chunks * p.strips;
  let count = f32(rows * min(STRIP, p.ow - s * STRIP));
  for (var c = 0u; c < TMC; c++) {
    var r = vec4f(0.0);
    if (count > 0.0) { r = vec4f(count, shift[c] + s1[c] / count, max(s2[c] - s1[c] * s1[c] / count, 0.0), 0.0); }
    part[(n * p.cout + co0 + c) * per + chunk * p.strips + s] = r;
  }
}

//!include conv2d/forward_6_depthwise_multi_body
