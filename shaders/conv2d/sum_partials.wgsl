// conv2d.sum_partials: the second, deterministic stage of the weight and bias gradient reductions.
//   out[g, e] = sum over s = g*partsPerGroup, ..., min(parts, (g+1)*partsPerGroup) - 1 (in that order) of
//   partial[s, e], for each group g of parts. With partsPerGroup = parts there is one group: out[e] is the whole sum.
//   Many parts are added in two such passes (groups, then the groups' sums), so no thread adds thousands in a row.
//   Overwrites out.
// Bindings: @0 p: Params; @1 partial: f32 [parts, count] (read); @2 out: f32 [ceil(parts / partsPerGroup), count]
//   (read_write).
// Params: count (elements of one part), parts (parts to add), partsPerGroup. Workgroup: WG_X threads, one element of
// out each; grid = linearGrid(ceil(count * groups / WG_X)).
struct Params { count: u32, parts: u32, partsPerGroup: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

//!include conv2d/sum_parts

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let groups = (p.parts + p.partsPerGroup - 1u) / p.partsPerGroup;
  if (i >= p.count * groups) { return; }
  out[i] = groupSum(i / p.count, i % p.count);
}
