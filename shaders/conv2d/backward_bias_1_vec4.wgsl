// conv2d.backward_bias_1_vec4: as backward_bias.wgsl, one chunk of db[co] = sum over n, oy, ox of dy[n, co, oy, ox],
//   for oh*ow a multiple of 4, shaped for lavapipe as batchnorm2d's streaming passes are: 16-wide workgroups, each
//   thread `items` vec4 loads strided by WG_X (a load is a gather there, so 4 floats per load is ~4x fewer), one
//   barrier, thread 0 adds the WG_X sums in order. Plane n*cout + co is cut into `chunks` chunks of WG_X * items
//   vec4s; workgroup g = plane * chunks + chunk writes partial[(n * chunks + chunk) * cout + co], so that
//   conv2d.sum_partials adds each channel's batch * chunks partials in a fixed order (deterministic).
// Bindings: @0 p: Params; @1 dy: array<vec4f> (read), NCHW f32 [batch, cout, oh, ow] viewed as vec4s;
//   @2 partial: f32 [batch * chunks, cout] (read_write).
// Params: hw (oh*ow / 4, vec4s per plane), cout, items (vec4s per thread), chunks (= ceil(hw / (WG_X * items))),
//   groups (= batch * cout * chunks).
// Workgroup: WG_X threads; grid = linearGrid(groups).
struct Params { hw: u32, cout: u32, items: u32, chunks: u32, groups: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

var<workgroup> sums: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let plane = g / p.chunks;
  let chunk = g - plane * p.chunks;
  let start = chunk * WG_X * p.items + lid;
  let base = plane * p.hw;
  var acc = vec4f(0.0);
  for (var i = 0u; i < p.items; i++) {
    let s = start + i * WG_X;
    if (s < p.hw) { acc += dy[base + s]; }
  }
  sums[lid] = (acc.x + acc.y) + (acc.z + acc.w);
  workgroupBarrier();
  if (lid == 0u) {
    var r = sums[0];
    for (var k = 1u; k < WG_X; k++) { r += sums[k]; }
    let n = plane / p.cout;
    let co = plane - n * p.cout;
    partial[(n * p.chunks + chunk) * p.cout + co] = r;
  }
}
