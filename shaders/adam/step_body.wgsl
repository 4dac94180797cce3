// The body of adam/step and adam/step_1_vec4 (see step.wgsl): bindings, Params and main over elements of type AdamT,
// the includer's alias.
struct Params {
  n: u32,
  stepSize: f32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  eps: f32,
  weightDecay: f32,
  bc2Sqrt: f32,
}

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<AdamT>;
@group(0) @binding(2) var<storage, read> dw: array<AdamT>;
@group(0) @binding(3) var<storage, read_write> m: array<AdamT>;
@group(0) @binding(4) var<storage, read_write> v: array<AdamT>;

//!include adam/update

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  let r = adamUpdate(w[i], dw[i], m[i], v[i]);
  w[i] = r.w;
  m[i] = r.m;
  v[i] = r.v;
}
