// conv2d.backward_input (variant 1, direct gather): dx = the transposed convolution of dy with w.
//   dx[n, ci, iy, ix] = sum over co in ci's group, ky, kx with oy = (iy + padH - ky*dilH) / strideH and
//                       ox = (ix + padW - kx*dilW) / strideW exact (no remainder) and inside [0, oh) x [0, ow) of
//                       w[co, ci % (cin/groups), ky, kx] * dy[n, co, oy, ox]
//   Each input gathers only the outputs its window touched: cout/groups * kh * kw terms, never a loop over dy.
// Bindings: @0 p: Params; @1 dy: NCHW f32 [batch, cout, oh, ow] (read); @2 w: OIHW f32 [cout, cin/groups, kh, kw] (read);
//   @3 dx: NCHW f32 [batch, cin, h, w] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups).
// Workgroup: WG_X threads, one input element each; grid = linearGrid(ceil(batch*cin*h*w / WG_X)).
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
}

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.batch * p.cin * p.h * p.w) { return; }
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let c = (i / (p.w * p.h)) % p.cin;
  let n = i / (p.w * p.h * p.cin);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let g = c / cinG;
  let ci = c % cinG;
  let ty0 = i32(iy + p.padH);
  let tx0 = i32(ix + p.padW);
  var acc = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    let ty = ty0 - i32(ky * p.dilH);
    if (ty < 0 || u32(ty) % p.strideH != 0u) { continue; }
    let oy = u32(ty) / p.strideH;
    if (oy >= p.oh) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let tx = tx0 - i32(kx * p.dilW);
      if (tx < 0 || u32(tx) % p.strideW != 0u) { continue; }
      let ox = u32(tx) / p.strideW;
      if (ox >= p.ow) { continue; }
      for (var k = 0u; k < coutG; k++) {
        let co = g * coutG + k;
        acc += w[((co * cinG + ci) * p.kh + ky) * p.kw + kx] * dy[((n * p.cout + co) * p.oh + oy) * p.ow + ox];
      }
    }
  }
  dx[i] = acc;
}
