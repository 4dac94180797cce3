// conv2d.forward (variant 5, implicit GEMM tiled through workgroup memory): the same result as forward.wgsl, laid
//   out as hardware GPUs run matrix products. Per group, Y = W * X with M = cout/groups output channels, N =
//   batch*oh*ow output pixels and K = cin/groups*kh*kw. Each workgroup computes a TILE x TILE block of Y with
//   (TILE/4)^2 threads of 4 x 4 outputs each, stepping K by 16: the step's W block [16, TILE] and X block [16, TILE]
//   are loaded into workgroup memory by all threads together (X gathered through the padding, im2col on the fly;
//   neighbouring threads read neighbouring weights and pixels), then each thread takes its 4 channels and 4 pixels
//   from there as two vec4s per k. Every input and weight value is loaded from the buffer once per tile, not once
//   per thread as in forward_2_gemm / forward_3_subgroup. Under lavapipe, whose barriers and 256-lane workgroups are
//   slow, it loses to those; it is there for hardware GPUs.
//   Split K (splits > 1): when Y has too few blocks to fill the GPU (ResNet-50's 7 x 7 maps at batch 1: 32 blocks of
//   32 x 32 for 132 cores), each workgroup sums one kChunk of K for its block and writes it to its split's copy of y;
//   conv2d.sum_partials then adds the splits in order (split 0 carries the bias).
//   AFFINE / RESIDUAL (affine_epilogue.wgsl, one split only): an eval-mode batch norm, its ReLU or a residual block's
//   end applied as y is stored; with splits, conv2d.sum_partials_affine applies them as it adds the splits.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 w: OIHW f32 [cout, cin/groups, kh, kw] (read);
//   @3 b: f32 [cout] (read; any buffer when hasBias = 0); @4 y: NCHW f32 [splits, batch, cout, oh, ow] (read_write,
//   overwritten); @5 stats: f32 [5, cout] batchnorm2d's stats rows (read; read only with AFFINE); @6 res: f32 like y
//   (read; read only with RESIDUAL).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups),
//   hasBias, mBlocks (= ceil(cout/groups / TILE)), nBlocks (= ceil(batch*oh*ow / TILE)), kChunk (a multiple of 16),
//   splits (= ceil(K / kChunk)).
// Workgroup: WG_X = (TILE / 4)^2 threads; override TILE (32 or 64). Grid: linearGrid(nBlocks * mBlocks * groups *
//   splits), pixel blocks fastest, splits slowest.
struct Params {
  batch: u32, cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: u32, padW: u32, dilH: u32, dilW: u32, groups: u32,
  hasBias: u32, mBlocks: u32, nBlocks: u32, kChunk: u32, splits: u32,
}

const BK = 16u;
override WG_X: u32;
override TILE: u32 = 64u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read> res: array<f32>;

//!include conv2d/affine_epilogue

// [k * TILE / 4 + m / 4][m % 4] and [k * TILE / 4 + n / 4][n % 4]: a thread's 4 channels (pixels) are one vec4.
var<workgroup> wTile: array<vec4f, 256>;
var<workgroup> xTile: array<vec4f, 256>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  let blocks = p.nBlocks * p.mBlocks * p.groups;
  if (t >= blocks * p.splits) { return; } // the whole workgroup: barriers stay in uniform flow
  let split = t / blocks;
  let nb = t % p.nBlocks;
  let mb = (t / p.nBlocks) % p.mBlocks;
  let g = (t % blocks) / (p.nBlocks * p.mBlocks);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let taps = p.kh * p.kw;
  let kSize = cinG * taps;
  let pixels = p.batch * p.oh * p.ow;
  let side = TILE / 4u;
  let perThread = BK * TILE / WG_X; // elements of each block a thread loads

  // The one output pixel whose column of the X block this thread loads (WG_X is a multiple of TILE).
  let col = lid % TILE;
  let n = nb * TILE + col;
  let nOk = n < pixels;
  let nc = min(n, pixels - 1u);
  let ox = nc % p.ow;
  let oy = (nc / p.ow) % p.oh;
  let image = nc / (p.ow * p.oh);
  let iy0 = i32(oy * p.strideH) - i32(p.padH);
  let ix0 = i32(ox * p.strideW) - i32(p.padW);
  let xGroup = (image * p.cin + g * cinG) * p.h * p.w;

  let tx = lid % side;
  let ty = lid / side;
  var acc = array<vec4f, 4>(); // [i]: channel ty*4 + i, pixels tx*4 .. tx*4 + 3
  let kEnd = min(kSize, (split + 1u) * p.kChunk);
  for (var k0 = split * p.kChunk; k0 < kEnd; k0 += BK) {
    for (var r = 0u; r < perThread; r++) {
      let e = lid + r * WG_X;
      // Weights: consecutive threads take consecutive k of one channel (contiguous in w).
      let wk = e % BK;
      let wm = e / BK;
      let k = k0 + wk;
      let m = mb * TILE + wm;
      let wOk = k < kEnd && m < coutG;
      let wv = select(0.0, w[select(0u, (g * coutG + m) * kSize + k, wOk)], wOk);
      wTile[wk * side + wm / 4u][wm % 4u] = wv;
      // Inputs: consecutive threads take consecutive pixels of one k.
      let xk = e / TILE;
      let kx = k0 + xk;
      let ci = kx / taps;
      let tap = kx - ci * taps;
      let ky = tap / p.kw;
      let iy = iy0 + i32(ky * p.dilH);
      let ix = ix0 + i32((tap - ky * p.kw) * p.dilW);
      let xOk = nOk && kx < kEnd && iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
      let xv = select(0.0, x[select(0u, xGroup + ci * p.h * p.w + u32(iy) * p.w + u32(ix), xOk)], xOk);
      xTile[xk * side + col / 4u][col % 4u] = xv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let a = wTile[kk * side + ty];
      let bv = xTile[kk * side + tx];
      acc[0] = fma(vec4f(a.x), bv, acc[0]);
      acc[1] = fma(vec4f(a.y), bv, acc[1]);
      acc[2] = fma(vec4f(a.z), bv, acc[2]);
      acc[3] = fma(vec4f(a.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = mb * TILE + ty * 4u + i;
    if (m >= coutG) { continue; }
    let co = g * coutG + m;
    let bias = select(0.0, b[co], p.hasBias == 1u && split == 0u);
    let out = split * pixels * p.cout; // this split's copy of y
    let v = epilogue(acc[i] + vec4f(bias), co);
    for (var j = 0u; j < 4u; j++) {
      let nj = nb * TILE + tx * 4u + j;
      if (nj >= pixels) { continue; }
      let pox = nj % p.ow;
      let poy = (nj / p.ow) % p.oh;
      let pim = nj / (p.ow * p.oh);
      put(out + ((pim * p.cout + co) * p.oh + poy) * p.ow + pox, v[j]);
    }
  }
}
