// concat.forward (variant 2, by sample blocks of vec4s): the same copy as forward.wgsl where each sample's Cx
// channels, one contiguous run in x and in y, start and end on a vec4 (Cx*inner, Cy*inner and offset*inner multiples
// of 4): the run is copied as vec4s, a row index per sample rather than per plane. Under lavapipe a vec4 load costs
// about 1.4 scalar ones, so copying by floats (forward_1_rows) stays well under the copy roof.
// Bindings: @0 p: Params; @1 src: array<vec4f> (read); @2 dst: array<vec4f> (read_write).
// Params, in vec4s: rows (= N), block (= Cx*inner/4, a sample's run), yStride (= Cy*inner/4), yOffset
// (= offset*inner/4); toY (1: x->y, 0: y->x).
// Workgroup: WG_X threads, each ITEMS vec4s strided by WG_X; grid = (ceil(block / (WG_X * ITEMS)), y, z) with
// row = wid.y + wid.z * num_workgroups.y.
struct Params { rows: u32, block: u32, yStride: u32, yOffset: u32, toY: u32 }

override WG_X: u32;
override ITEMS: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.y + wid.z * nwg.y;
  if (row >= p.rows) { return; }
  let xRow = row * p.block;
  let yRow = row * p.yStride + p.yOffset;
  let readAt = select(yRow, xRow, p.toY == 1u);
  let writeAt = select(xRow, yRow, p.toY == 1u);
  let first = wid.x * WG_X * ITEMS + lid;
  for (var k = 0u; k < ITEMS; k++) {
    let s = first + k * WG_X;
    if (s < p.block) { dst[writeAt + s] = src[readAt + s]; }
  }
}
