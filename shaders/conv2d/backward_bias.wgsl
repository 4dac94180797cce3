// conv2d.backward_bias: one chunk of the bias-gradient reduction db[co] = sum over n, oy, ox of dy[n, co, oy, ox].
//   Each plane dy[n, co] is cut into `pieces` pieces of `chunk` elements; chunk s = n*pieces + piece. Workgroup
//   (co, s) sums its piece with WG_X threads (thread t takes elements t, t + WG_X, ... of the piece) and a tree in
//   workgroup memory, and writes partial[s, co]; conv2d.sum_partials then adds the chunks in order (deterministic).
// Bindings: @0 p: Params; @1 dy: NCHW f32 [batch, cout, oh, ow] (read); @2 partial: f32 [batch*pieces, cout] (read_write).
// Params: batch, cout, plane (= oh*ow), chunk (elements per piece), pieces (= ceil(plane / chunk)).
// Workgroup: WG_X threads (a power of two); grid = linearGrid(cout * batch * pieces), channel fastest.
struct Params { batch: u32, cout: u32, plane: u32, chunk: u32, pieces: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

var<workgroup> sums: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.cout * p.batch * p.pieces) { return; }
  let co = t % p.cout;
  let s = t / p.cout;
  let n = s / p.pieces;
  let start = (s % p.pieces) * p.chunk;
  let end = min(start + p.chunk, p.plane);
  let base = (n * p.cout + co) * p.plane;
  var acc = 0.0;
  for (var j = start + lid; j < end; j += WG_X) { acc += dy[base + j]; }
  sums[lid] = acc;
  for (var half = WG_X / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) { sums[lid] += sums[lid + half]; }
  }
  if (lid == 0u) { partial[s * p.cout + co] = sums[0]; }
}
