// concat.forward (variant 1, by rows): the same copy as forward.wgsl, for planes of at least a few hundred elements.
// Work is laid out by rows (one (n, c) plane of `inner` elements): a row's source and destination offsets are
// worked out once per thread, and its threads copy ITEMS runs of WG_X consecutive elements (per element, a divide
// and a modulo cost more than the copy under lavapipe, where integer division is scalar).
// Bindings: @0 p: Params; @1 src: array<f32> (read); @2 dst: array<f32> (read_write).
// Params: rows (= N*Cx), cx, cy, inner, offset (first channel in y), toY (1: x->y, 0: y->x).
// Workgroup: WG_X threads; grid = (ceil(inner / (WG_X * ITEMS)), y, z) with row = wid.y + wid.z * num_workgroups.y.
struct Params { rows: u32, cx: u32, cy: u32, inner: u32, offset: u32, toY: u32 }

override WG_X: u32;
override ITEMS: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.y + wid.z * nwg.y;
  if (row >= p.rows) { return; }
  let xRow = row * p.inner;
  let yRow = ((row / p.cx) * p.cy + p.offset + row % p.cx) * p.inner;
  let readAt = select(yRow, xRow, p.toY == 1u);
  let writeAt = select(xRow, yRow, p.toY == 1u);
  let first = wid.x * WG_X * ITEMS + lid;
  for (var k = 0u; k < ITEMS; k++) {
    let s = first + k * WG_X;
    if (s < p.inner) { dst[writeAt + s] = src[readAt + s]; }
  }
}
