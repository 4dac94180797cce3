// The body of batchnorm2d's vec4 backward_input passes (included by backward_input_1_vec4 and
// backward_input_pooled): dx = k_dy[c] * dy + k_x[c] * (x - mean[c]) + k_0[c], dy masked by the fused ReLU when
// RELU = 1, each thread `items` vec4s of one plane chunk strided by WG_X.
// Needs Params fields hw, c, items, chunks, groups; bindings x: array<vec4f>, coef, dx: array<vec4f>; overrides
// WG_X and RELU; and fn dyAt(plane: u32, s: u32) -> vec4f, the output gradient of vec4 s of the plane.

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let ch = plane % p.c;
  let mean = coef[ch];
  let kdy = coef[p.c + ch];
  let kx = coef[2u * p.c + ch];
  let k0 = coef[3u * p.c + ch];
  let beta = coef[4u * p.c + ch];
  let start = (g - plane * p.chunks) * WG_X * p.items + lid;
  let base = plane * p.hw;
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) {
      let xc = x[base + s] - mean;
      var d = dyAt(plane, s);
      if (RELU == 1u) { d = select(vec4f(0.0), d, xc * kdy + beta > vec4f(0.0)); }
      dx[base + s] = kdy * d + kx * xc + k0;
    }
  }
}
