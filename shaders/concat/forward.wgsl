// concat.forward: copies one input x [N, Cx, inner] into channels [offset, offset + Cx) of y [N, Cy, inner]
// (inner = H*W for NCHW). Concatenating k tensors is k dispatches into one y. Also used for the backward
// (slice) pass with `toY = 0`, which copies the channel range of y back into a tensor shaped like x; that dispatch
// is named concat.backward.
// Bindings: @0 p: Params; @1 src: array<f32> (read); @2 dst: array<f32> (read_write).
// Params: n (= N*Cx*inner elements to copy), cx, cy, inner, offset (first channel in y), toY (1: x->y, 0: y->x).
// Workgroup: WG_X threads, one element of x each; grid = linearGrid(ceil(n / WG_X)).
struct Params { n: u32, cx: u32, cy: u32, inner: u32, offset: u32, toY: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  let s = i % p.inner;
  let c = (i / p.inner) % p.cx;
  let n = i / (p.inner * p.cx);
  let j = (n * p.cy + p.offset + c) * p.inner + s;
  if (p.toY == 1u) {
    dst[j] = src[i];
  } else {
    dst[i] = src[j];
  }
}
