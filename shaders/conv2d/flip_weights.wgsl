// conv2d.flip_weights: the weights of the transposed convolution, so that for stride 1 the input gradient is a
// forward convolution of dy (runConv2dBackwardInput runs the forward variants on them):
//   wf[c, k, ky, kx] = w[g*coutG + k, c - g*cinG, kh-1-ky, kw-1-kx]   with g = c / cinG, cinG = cin/groups,
//   coutG = cout/groups; wf is OIHW [cin, coutG, kh, kw] (cin outputs, coutG inputs per group). Overwrites wf.
//   Flipping both kernel axes reverses a (c, k) pair's kh*kw taps, so each thread copies one pair's taps in reverse
//   and divides only to find its pair. One thread per element, each with four u32 divisions and modulos, took 289 ms
//   of a ResNet-50 training step at batch 4 on lavapipe (49 dispatches); now 30 ms for its 13 kernels of 3x3 and
//   more, and 40 for the 36 1x1s (flip_weights_1_pointwise). ResNet-50's [512, 512, 3, 3]: 25-27 -> 6.1-6.8 ms.
// Bindings: @0 p: Params; @1 w: OIHW f32 [cout, cinG, kh, kw] (read); @2 wf: OIHW f32 [cin, coutG, kh, kw] (read_write).
// Params: cin, cout, kh, kw, groups. Workgroup: WG_X threads, one (c, k) pair each, k fastest;
// grid = linearGrid(ceil(cin*coutG / WG_X)).
struct Params { cin: u32, cout: u32, kh: u32, kw: u32, groups: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wf: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  if (i >= p.cin * coutG) { return; }
  let k = i % coutG;
  let c = i / coutG;
  let g = c / cinG;
  let taps = p.kh * p.kw;
  let src = ((g * coutG + k) * cinG + c - g * cinG) * taps + taps - 1u;
  let dst = i * taps;
  for (var t = 0u; t < taps; t++) { wf[dst + t] = w[src - t]; }
}
