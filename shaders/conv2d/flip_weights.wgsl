// conv2d.flip_weights: the weights of the transposed convolution, so that for stride 1 the input gradient is a
// forward convolution of dy (conv2d.backward_input variant 2 runs forward_2_gemm on them):
//   wf[c, k, ky, kx] = w[g*coutG + k, c - g*cinG, kh-1-ky, kw-1-kx]   with g = c / cinG, cinG = cin/groups,
//   coutG = cout/groups; wf is OIHW [cin, coutG, kh, kw] (cin outputs, coutG inputs per group). Overwrites wf.
// Bindings: @0 p: Params; @1 w: OIHW f32 [cout, cinG, kh, kw] (read); @2 wf: OIHW f32 [cin, coutG, kh, kw] (read_write).
// Params: cin, cout, kh, kw, groups. Workgroup: WG_X threads, one element of wf each;
// grid = linearGrid(ceil(cin*coutG*kh*kw / WG_X)).
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
  if (i >= p.cin * coutG * p.kh * p.kw) { return; }
  let kx = i % p.kw;
  let ky = (i / p.kw) % p.kh;
  let k = (i / (p.kw * p.kh)) % coutG;
  let c = i / (p.kw * p.kh * coutG);
  let g = c / cinG;
  wf[i] = w[(((g * coutG + k) * cinG + c - g * cinG) * p.kh + p.kh - 1u - ky) * p.kw + p.kw - 1u - kx];
}
