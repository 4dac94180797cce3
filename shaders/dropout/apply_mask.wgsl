// dropout.apply_mask: y[i] = x[i] * scale where element i is kept, else 0. Element i is kept when
// hash(seed, i) >= threshold (threshold = p * 2^32, so a fraction p is dropped); the mask is a pure function of
// (seed, i), so nothing random is stored: the forward pass applies it to x, the backward pass to dy (same seed,
// same mask). hash: PCG's output permutation applied to pcg(i) ^ pcg(seed) (Jarzynski & Olano 2020).
// Bindings: @0 p: Params; @1 x: array<f32> (read); @2 y: array<f32> (read_write), same layout as x.
// Params: n (elements), seed, threshold (u32), scale (1 / (1 - p); 0 when p = 1), base (index of x[0] in the whole
// tensor when a slice is bound, so the mask does not depend on the slicing).
// Workgroup: WG_X threads, one element each; grid = linearGrid(ceil(n / WG_X)).
struct Params { n: u32, seed: u32, threshold: u32, scale: f32, base: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  let keep = pcg(pcg(p.base + i) ^ pcg(p.seed)) >= p.threshold;
  y[i] = select(0.0, x[i] * p.scale, keep);
}
