// cam.target_seed: the class each map explains and the one-hot gradient seed that selects its logit, computed on
// the GPU so the forward pass, the backward pass and the maps need no read back in between.
// targets[n] = the fixed class when `fixed` is 1, else argmax_k logits[n, k] (the first maximum on ties, as
// torch.argmax); seed[n, k] = 1 where k == targets[n], else 0.
// Bindings: @0 p: Params; @1 logits: array<f32> [N, K] (read); @2 seed: array<f32> [N, K] (read_write, overwritten);
// @3 targets: array<f32> [N] (read_write, overwritten; class indices stored as f32).
// Params: batch (N), classes (K), fixed (1: use `cls`), cls.
// Workgroup: WG_X threads, one image each (K is a handful of classes, scanned in order); grid = linearGrid(ceil(N / WG_X)).
struct Params { batch: u32, classes: u32, fixed: u32, cls: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> seed: array<f32>;
@group(0) @binding(3) var<storage, read_write> targets: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let n = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (n >= p.batch) { return; }
  let row = n * p.classes;
  var best = 0u;
  for (var k = 1u; k < p.classes; k++) {
    if (logits[row + k] > logits[row + best]) { best = k; }
  }
  let chosen = select(best, p.cls, p.fixed == 1u);
  for (var k = 0u; k < p.classes; k++) {
    seed[row + k] = select(0.0, 1.0, k == chosen);
  }
  targets[n] = f32(chosen);
}
