// conv2d.pack_planes: the pixels a 1x1 conv without padding reads, packed into planes of a multiple of 4:
//   out[plane, k] = x[plane, (k / ow) * strideH, (k % ow) * strideW] for k < oh*ow, 0 for k up to 4*quads.
//   backward_weight_6_pointwise reads planes a vec4 at a time, so the weight gradient of a 1x1 conv whose output planes
//   are not a multiple of 4 pixels (ResNet-50's 7 x 7 stage) or whose stride skips inputs (its downsampling convs)
//   runs on packed copies of x and dy: the zeros add nothing to the sums. forward_4_pointwise with its inputs first
//   reads such inputs packed too (a run's 4 inputs one vec4; the padding only feeds outputs it does not store).
// Bindings: @0 p: Params; @1 x: f32 [planes, h, w] (read); @2 out: f32 [planes, 4*quads] as vec4s (read_write,
//   overwritten).
// Params: planes, h, w, oh, ow, strideH, strideW, quads (= ceil(oh*ow / 4)). Workgroup: WG_X threads, one vec4 of out
// each; grid = linearGrid(ceil(planes * quads / WG_X)).
struct Params { planes: u32, h: u32, w: u32, oh: u32, ow: u32, strideH: u32, strideW: u32, quads: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;

fn pixel(plane: u32, k: u32) -> f32 {
  let inside = k < p.oh * p.ow;
  let at = plane * p.h * p.w + (k / p.ow) * p.strideH * p.w + (k % p.ow) * p.strideW;
  return select(0.0, x[select(0u, at, inside)], inside);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.planes * p.quads) { return; }
  let plane = i / p.quads;
  let k = 4u * (i - plane * p.quads);
  out[i] = vec4f(pixel(plane, k), pixel(plane, k + 1u), pixel(plane, k + 2u), pixel(plane, k + 3u));
}
