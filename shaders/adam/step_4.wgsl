// adam.step_4: adam/step.wgsl's update for four parameters in one dispatch (a model's many small tensors: CNN-X's
//   convolution weights, biases and batch norm parameters would otherwise take a dispatch each). The four share the
//   step count, so the bias corrections; thread i takes element i of the four laid end to end.
// Bindings: @0 p: Params; for each parameter k = 0..3 @(4k+1) wk: array<f32> (read_write), @(4k+2) dwk: array<f32>
//   (read), @(4k+3) mk, @(4k+4) vk: array<f32> (read_write), each with parameter k's layout.
// Params: n (elements of the four together), s1, s2, s3 (where parameters 1, 2, 3 start in that order), then the
//   hyper-parameters as adam/step.
// Workgroup: WG_X threads, one element each; grid = linearGrid(ceil(n / WG_X)).
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
@group(0) @binding(1) var<storage, read_write> w0: array<f32>;
@group(0) @binding(2) var<storage, read> dw0: array<f32>;
@group(0) @binding(3) var<storage, read_write> m0: array<f32>;
@group(0) @binding(4) var<storage, read_write> v0: array<f32>;
@group(0) @binding(5) var<storage, read_write> w1: array<f32>;
@group(0) @binding(6) var<storage, read> dw1: array<f32>;
@group(0) @binding(7) var<storage, read_write> m1: array<f32>;
@group(0) @binding(8) var<storage, read_write> v1: array<f32>;
@group(0) @binding(9) var<storage, read_write> w2: array<f32>;
@group(0) @binding(10) var<storage, read> dw2: array<f32>;
@group(0) @binding(11) var<storage, read_write> m2: array<f32>;
@group(0) @binding(12) var<storage, read_write> v2: array<f32>;
@group(0) @binding(13) var<storage, read_write> w3: array<f32>;
@group(0) @binding(14) var<storage, read> dw3: array<f32>;
@group(0) @binding(15) var<storage, read_write> m3: array<f32>;
@group(0) @binding(16) var<storage, read_write> v3: array<f32>;

//!include adam/update

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.n) { return; }
  if (i < p.s1) {
    let r = adamUpdate(w0[i], dw0[i], m0[i], v0[i]);
    w0[i] = r.x; m0[i] = r.y; v0[i] = r.z;
  } else if (i < p.s2) {
    let j = i - p.s1;
    let r = adamUpdate(w1[j], dw1[j], m1[j], v1[j]);
    w1[j] = r.x; m1[j] = r.y; v1[j] = r.z;
  } else if (i < p.s3) {
    let j = i - p.s2;
    let r = adamUpdate(w2[j], dw2[j], m2[j], v2[j]);
    w2[j] = r.x; m2[j] = r.y; v2[j] = r.z;
  } else {
    let j = i - p.s3;
    let r = adamUpdate(w3[j], dw3[j], m3[j], v3[j]);
    w3[j] = r.x; m3[j] = r.y; v3[j] = r.z;
  }
}
