// add.forward: y = a + alpha * b, elementwise on tensors of one shape (residual connections, scaled residuals);
// with RELU = 1 (add.forward_relu) y = max(a + alpha * b, 0), a residual block's sum and ReLU in one pass.
// Bindings: @0 p: Params; @1 a: array<vec4f> (read); @2 b: array<vec4f> (read); @3 y: array<vec4f> (read_write).
// Params: n4 (= ceil(elements / 4)), alpha. Workgroup: WG_X threads, one vec4 each; grid = linearGrid(ceil(n4 / WG_X));
// override RELU (0 or 1).
struct Params { n4: u32, alpha: f32 }

override WG_X: u32;
override RELU: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i < p.n4) {
    let v = a[i] + p.alpha * b[i];
    y[i] = select(v, max(v, vec4f(0.0)), RELU == 1u);
  }
}
