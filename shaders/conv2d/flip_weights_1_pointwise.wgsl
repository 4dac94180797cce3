// conv2d.flip_weights (variant 1, 1x1 kernels): flip_weights.wgsl for kh = kw = 1, where flipping is a transpose per
//   group, wf[c, k] = w[g*coutG + k, c - g*cinG], for cin/groups and cout/groups multiples of 4. Each thread moves a
//   4 x 4 block: four vec4 loads along w's rows, a transpose in registers, four vec4 stores along wf's rows. Lavapipe,
//   ResNet-50's [2048, 512] weights: 13.7 ms one element a thread (flip_weights, each lane reading another cache line),
//   11 one (c, k) pair a thread, 2.4 this way.
// Bindings: @0 p: Params; @1 w: OIHW f32 [cout, cinG, 1, 1] as vec4s (read); @2 wf: OIHW f32 [cin, coutG, 1, 1] as
//   vec4s (read_write, overwritten).
// Params: cin, cout, kh, kw, groups (as flip_weights). Workgroup: WG_X threads, one block each, blocks along the input
//   channels fastest (so a workgroup's loads run along w's rows); grid = linearGrid(ceil(cin*coutG / 16 / WG_X)).
struct Params { cin: u32, cout: u32, kh: u32, kw: u32, groups: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> wf: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let cBlocks = p.cin / 4u;
  if (i >= cBlocks * (coutG / 4u)) { return; }
  let c0 = 4u * (i % cBlocks);
  let k0 = 4u * (i / cBlocks);
  let g = c0 / cinG;
  let src = ((g * coutG + k0) * cinG + c0 - g * cinG) / 4u;
  let r0 = w[src];
  let r1 = w[src + cinG / 4u];
  let r2 = w[src + cinG / 2u];
  let r3 = w[src + 3u * cinG / 4u];
  let dst = (c0 * coutG + k0) / 4u;
  wf[dst] = vec4f(r0.x, r1.x, r2.x, r3.x);
  wf[dst + coutG / 4u] = vec4f(r0.y, r1.y, r2.y, r3.y);
  wf[dst + coutG / 2u] = vec4f(r0.z, r1.z, r2.z, r3.z);
  wf[dst + 3u * coutG / 4u] = vec4f(r0.w, r1.w, r2.w, r3.w);
}
