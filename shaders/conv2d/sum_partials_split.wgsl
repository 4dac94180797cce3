// conv2d.sum_partials_split: sum_partials' last pass (all parts in one group) for parts that hold two results, the
//   weight gradient and then the bias gradient: elements before `split` go to out, the rest to tail, so neither
//   needs a copy out of a joint buffer afterwards (a copy also ends the compute pass).
// Bindings: @0 p: Params; @1 partial: f32 [parts, count] (read); @2 out: f32 [split] (read_write); @3 tail: f32
//   [count - split] (read_write). Both overwritten.
// Params: count, parts, partsPerGroup (= parts), split. Workgroup: WG_X threads, one element each; grid =
// linearGrid(ceil(count / WG_X)).
struct Params { count: u32, parts: u32, partsPerGroup: u32, split: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> tail: array<f32>;

//!include conv2d/sum_parts

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (e >= p.count) { return; }
  let v = groupSum(0u, e);
  if (e < p.split) { out[e] = v; } else { tail[e - p.split] = v; }
}
