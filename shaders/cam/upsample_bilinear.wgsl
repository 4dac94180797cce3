// cam.upsample_bilinear: resizes maps x [count, inH, inW] to y [count, outH, outW] by bilinear interpolation with
// PyTorch's F.interpolate(mode='bilinear', align_corners=False) semantics: an output index d maps to the source
// coordinate src = max((d + 0.5) * in / out - 0.5, 0) (half-pixel centres), blending floor(src) and the next
// index (clamped to the last one) with weight src - floor(src). Works for up- and downscaling (no antialias).
// Bindings: @0 p: Params; @1 x: array<f32> (read; maps start at element xOffset); @2 y: array<f32>
// [count, outH, outW] (read_write, overwritten).
// Params: count (maps), inH, inW, outH, outW, xOffset (elements before the first map in x).
// Workgroup: WG_X threads, one output element each; grid = linearGrid(ceil(count * outH * outW / WG_X)).
struct Params { count: u32, inH: u32, inW: u32, outH: u32, outW: u32, xOffset: u32 }

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

struct Taps { i0: u32, i1: u32, w1: f32 }

fn taps(d: u32, inSize: u32, outSize: u32) -> Taps {
  let scale = f32(inSize) / f32(outSize);
  let src = max((f32(d) + 0.5) * scale - 0.5, 0.0);
  let i0 = min(u32(floor(src)), inSize - 1u);
  return Taps(i0, min(i0 + 1u, inSize - 1u), src - f32(i0));
}

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  let plane = p.outH * p.outW;
  if (i >= p.count * plane) { return; }
  let n = i / plane;
  let oy = (i % plane) / p.outW;
  let ox = i % p.outW;
  let ty = taps(oy, p.inH, p.outH);
  let tx = taps(ox, p.inW, p.outW);
  let base = p.xOffset + n * p.inH * p.inW;
  let r0 = base + ty.i0 * p.inW;
  let r1 = base + ty.i1 * p.inW;
  let top = (1.0 - tx.w1) * x[r0 + tx.i0] + tx.w1 * x[r0 + tx.i1];
  let bottom = (1.0 - tx.w1) * x[r1 + tx.i0] + tx.w1 * x[r1 + tx.i1];
  y[i] = (1.0 - ty.w1) * top + ty.w1 * bottom;
}
