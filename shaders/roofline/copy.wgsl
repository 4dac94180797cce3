// roofline.copy: the bandwidth roof, y = x as vec4s over buffers much larger than the host's caches.
// Bytes = 2 * 16 * n4 (each vec4 read once and written once).
// Bindings: @0 p: Params; @1 x: array<vec4f> (read); @2 y: array<vec4f> (read_write), same layout.
// Params: n4 (vec4s to copy).
// Workgroup: WG_X threads, one vec4 each (the layout of the vec4 elementwise kernels, see src/kernels/elementwise.ts);
// grid = linearGrid(ceil(n4 / WG_X)).
struct Params { n4: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i < p.n4) { y[i] = x[i]; }
}
