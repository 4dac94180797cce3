// conv2d.forward (variant 1, direct; the reference and debugging fallback): y = conv2d(x, w) + b.
//   y[n, co, oy, ox] = b[co] + sum over ci < cin/groups, ky, kx of
//                      w[co, ci, ky, kx] * x[n, g*cin/groups + ci, oy*strideH - padH + ky*dilH, ox*strideW - padW + kx*dilW]
//   with g = co / (cout/groups) and x taken as 0 outside the image (zero padding).
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 w: OIHW f32 [cout, cin/groups, kh, kw] (read);
//   @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32 [batch, cout, oh, ow] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups),
//   hasBias (0 or 1). Workgroup: WG_X threads, one output element each; grid = linearGrid(ceil(batch*cout*oh*ow / WG_X)).
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  hasBias: u32,
}

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i >= p.batch * p.cout * p.oh * p.ow) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let co = (i / (p.ow * p.oh)) % p.cout;
  let n = i / (p.ow * p.oh * p.cout);
  let cinG = p.cin / p.groups;
  let g = co / (p.cout / p.groups);
  let iy0 = i32(oy * p.strideH) - i32(p.padH);
  let ix0 = i32(ox * p.strideW) - i32(p.padW);
  var acc = select(0.0, b[co], p.hasBias == 1u);
  for (var ci = 0u; ci < cinG; ci++) {
    let xPlane = (n * p.cin + g * cinG + ci) * p.h * p.w;
    let wBase = (co * cinG + ci) * p.kh * p.kw;
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = iy0 + i32(ky * p.dilH);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      for (var kx = 0u; kx < p.kw; kx++) {
        let ix = ix0 + i32(kx * p.dilW);
        if (ix < 0 || ix >= i32(p.w)) { continue; }
        acc += w[wBase + ky * p.kw + kx] * x[xPlane + u32(iy) * p.w + u32(ix)];
      }
    }
  }
  y[i] = acc;
}
