// conv2d.backward_weight (variant 1, direct; the reference): one chunk of the weight-gradient reduction.
//   dw[co, ci, ky, kx] = sum over j = (n, oy, ox) in [0, batch*oh*ow) of
//                        dy[n, co, oy, ox] * x[n, g*cin/groups + ci, oy*strideH - padH + ky*dilH, ox*strideW - padW + kx*dilW]
//   The j range is cut into `chunks` chunks of `chunk` elements. Workgroup (weight e, chunk s) sums its chunk with
//   WG_X threads (thread t takes j = s*chunk + t, + WG_X, ...) and a tree in workgroup memory, and writes
//   partial[s, e]; conv2d.sum_partials then adds the chunks in order, so the result is deterministic.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] (read);
//   @3 partial: f32 [chunks, cout * cin/groups * kh * kw] (read_write, overwritten).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups),
//   chunk (j per workgroup), chunks (= ceil(batch*oh*ow / chunk)).
// Workgroup: WG_X threads (a power of two); grid = linearGrid(cout*cin/groups*kh*kw * chunks), weight fastest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  chunk: u32, chunks: u32,
}

override WG_X: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

var<workgroup> sums: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let cinG = p.cin / p.groups;
  let weights = p.cout * cinG * p.kh * p.kw;
  let t = wid.x + wid.y * nwg.x;
  if (t >= weights * p.chunks) { return; }
  let e = t % weights;
  let s = t / weights;
  let kx = e % p.kw;
  let ky = (e / p.kw) % p.kh;
  let ci = (e / (p.kw * p.kh)) % cinG;
  let co = e / (p.kw * p.kh * cinG);
  let c = (co / (p.cout / p.groups)) * cinG + ci;
  let total = p.batch * p.oh * p.ow;
  let end = min((s + 1u) * p.chunk, total);
  var acc = 0.0;
  for (var j = s * p.chunk + lid; j < end; j += WG_X) {
    let ox = j % p.ow;
    let oy = (j / p.ow) % p.oh;
    let n = j / (p.ow * p.oh);
    let iy = i32(oy * p.strideH + ky * p.dilH) - i32(p.padH);
    let ix = i32(ox * p.strideW + kx * p.dilW) - i32(p.padW);
    if (iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) { continue; }
    acc += dy[((n * p.cout + co) * p.oh + oy) * p.ow + ox] * x[((n * p.cin + c) * p.h + u32(iy)) * p.w + u32(ix)];
  }
  sums[lid] = acc;
  for (var half = WG_X / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) { sums[lid] += sums[lid + half]; }
  }
  if (lid == 0u) { partial[s * weights + e] = sums[0]; }
}
