// conv2d.sum_partials_affine: a split-K forward_5_tiled's sum (sum_partials' one pass, all parts in one group) for a
//   conv whose output takes an eval-mode batch norm, its ReLU or a residual block's end as it is stored
//   (affine_epilogue.wgsl): y[e] = epilogue(sum over s of partial[s, e]), so neither the sum nor the conv's output is
//   written before the batch norm reads it.
// Bindings: @0 p: Params; @1 partial: f32 [parts, count] (read); @2 y: NCHW f32 [count] (read_write, overwritten);
//   @3 stats: f32 [5, cout] batchnorm2d's stats rows (read); @4 res: f32 [count] (read; read only with RESIDUAL).
// Params: count (elements of y), parts (the splits), partsPerGroup (= parts), cout, plane (oh * ow). Workgroup: WG_X
// threads, one element each; grid = linearGrid(ceil(count / WG_X)).
struct Params { count: u32, parts: u32, partsPerGroup: u32, cout: u32, plane: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> res: array<f32>;

//!include conv2d/sum_parts
//!include conv2d/affine_epilogue

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (e >= p.count) { return; }
  // The epilogue's vec4 form, one lane used.
  put(e, epilogue(vec4f(groupSum(0u, e)), (e / p.plane) % p.cout).x);
}
