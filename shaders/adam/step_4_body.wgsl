// The body of adam/step_4 and adam/step_4_1_vec4 (see step_4.wgsl): bindings, Params and main over elements of type
// AdamT, the includer's alias.
struct Params {
  n: u32,
  s1: u32,
  s2: u32,
  s3: u32,
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
@group(0) @binding(1) var<storage, read_write> w0: array<AdamT>;
@group(0) @binding(2) var<storage, read> dw0: array<AdamT>;
@group(0) @binding(3) var<storage, read_write> m0: array<AdamT>;
@group(0) @binding(4) var<storage, read_write> v0: array<AdamT>;
@group(0) @binding(5) var<storage, read_write> w1: array<AdamT>;
@group(0) @binding(6) var<storage, read> dw1: array<AdamT>;
@group(0) @binding(7) var<storage, read_write> m1: array<AdamT>;
@group(0) @binding(8) var<storage, read_write> v1: array<AdamT>;
@group(0) @binding(9) var<storage, read_write> w2: array<AdamT>;
@group(0) @binding(10) var<storage, read> dw2: array<AdamT>;
@group(0) @binding(11) var<storage, read_write> m2: array<AdamT>;
@group(0) @binding(12) var<storage, read_write> v2: array<AdamT>;
@group(0) @binding(13) var<storage, read_write> w3: array<AdamT>;
@group(0) @binding(14) var<storage, read> dw3: array<AdamT>;
@group(0) @binding(15) var<storage, read_write> m3: array<AdamT>;
@group(0) @binding(16) var<storage, read_write> v3: array<AdamT>;

//!include adam/update

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  if (i < p.s1) {
    let r = adamUpdate(w0[i], dw0[i], m0[i], v0[i]);
    w0[i] = r.w; m0[i] = r.m; v0[i] = r.v;
  } else if (i < p.s2) {
    let j = i - p.s1;
    let r = adamUpdate(w1[j], dw1[j], m1[j], v1[j]);
    w1[j] = r.w; m1[j] = r.m; v1[j] = r.v;
  } else if (i < p.s3) {
    let j = i - p.s2;
    let r = adamUpdate(w2[j], dw2[j], m2[j], v2[j]);
    w2[j] = r.w; m2[j] = r.m; v2[j] = r.v;
  } else {
    let j = i - p.s3;
    let r = adamUpdate(w3[j], dw3[j], m3[j], v3[j]);
    w3[j] = r.w; m3[j] = r.m; v3[j] = r.v;
  }
}
