// conv2d.sum_partials: the second, deterministic stage of the weight and bias gradient reductions.
//   out[e] = sum over s = 0, 1, ..., parts-1 (in that order) of partial[s, e]. Overwrites out.
// Bindings: @0 p: Params; @1 partial: f32 [parts, count] (read); @2 out: f32 [count] (read_write).
// Params: count (elements of out), parts (chunks to add). Workgroup: WG_X threads, one element of out each;
// grid = linearGrid(ceil(count / WG_X)).
struct Params { count: u32, parts: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (e >= p.count) { return; }
  var acc = 0.0;
  for (var s = 0u; s < p.parts; s++) { acc += partial[s * p.count + e]; }
  out[e] = acc;
}
