// conv2d.tap_major_weights: the weights of forward_3_subgroup's 32-channel tiles regrouped by K step, so that a
//   step's 32 weights are 8 consecutive vec4s, one per lane of a subgroup (TAP_MAJOR there):
//     wq[((g * mBlocks + mb) * kSize + t) * 32 + m] = w[(g * coutG + min(32 * mb + m, coutG - 1)) * kSize + t]
//   with kSize = cinG * kh * kw and t = (ci * kh + ky) * kw + kx, a weight's place in its OIHW row. Channels past the
//   group's last repeat it, as the shader's own loads do (it never stores them).
// Bindings: @0 p: Params; @1 w: OIHW f32 [cout, cinG, kh, kw] (read);
//   @2 wq: vec4f [groups * mBlocks * kSize * 8] (read_write, overwritten).
// Params: coutG, kSize, mBlocks (= ceil(coutG / 32)), quads (= groups * mBlocks * kSize * 8).
// Workgroup: WG_X threads, one quad of wq (4 channels of a step) each; grid = linearGrid(ceil(quads / WG_X)).
struct Params { coutG: u32, kSize: u32, mBlocks: u32, quads: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wq: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.quads) { return; }
  let t = (i / 8u) % p.kSize;
  let block = i / (8u * p.kSize); // g * mBlocks + mb
  let first = (block / p.mBlocks) * p.coutG; // the group's first output channel
  let m = (block % p.mBlocks) * 32u + 4u * (i % 8u); // the quad's first channel within the group
  let last = p.coutG - 1u;
  wq[i] = vec4f(w[(first + min(m, last)) * p.kSize + t], w[(first + min(m + 1u, last)) * p.kSize + t],
                w[(first + min(m + 2u, last)) * p.kSize + t], w[(first + min(m + 3u, last)) * p.kSize + t]);
}
