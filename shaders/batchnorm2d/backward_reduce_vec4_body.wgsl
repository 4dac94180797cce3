// The body of batchnorm2d's vec4 backward_reduce passes (included by backward_reduce_1_vec4 and
// backward_reduce_pooled): each workgroup reduces one chunk of WG_X * items consecutive vec4s of one (n, c) plane to
// (sum dy, sum dy * (x - mean)), dy masked by the fused ReLU when RELU = 1; thread 0 adds the WG_X thread sums in
// order (deterministic).
// Needs Params fields hw, c, items, chunks, groups; bindings x: array<vec4f>, stats, part: array<vec2f>; override
// WG_X and RELU; and fn dyAt(plane: u32, s: u32) -> vec4f, the output gradient of vec4 s of the plane.

//!include batchnorm2d/part_sum

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let ch = plane % p.c;
  let mean = stats[ch];
  let scale = stats[3u * p.c + ch];
  let beta = stats[4u * p.c + ch];
  let start = (g - plane * p.chunks) * WG_X * p.items + lid;
  let base = plane * p.hw;
  var sumDy = vec4f(0.0);
  var sumDyXc = vec4f(0.0);
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) {
      let xc = x[base + s] - mean;
      var d = dyAt(plane, s);
      if (RELU == 1u) { d = select(vec4f(0.0), d, xc * scale + beta > vec4f(0.0)); }
      sumDy += d;
      sumDyXc += d * xc;
    }
  }
  storePartSum(g, lid, vec2f(dot(sumDy, vec4f(1.0)), dot(sumDyXc, vec4f(1.0))));
}
