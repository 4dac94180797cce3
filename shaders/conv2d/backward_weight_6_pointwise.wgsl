enable subgroups;
// conv2d.backward_weight (variant 6, pointwise, vec4 loads): partial sums of the weight gradient of a 1x1 conv with
//   stride 1 and no padding whose planes hold a multiple of 4 pixels (ResNet's bottleneck convs at 56 x 56 and
//   14 x 14). Per group this is dw [cout/groups, cin/groups] = sum over images n of dy[n] [cout/groups, plane] *
//   x[n]^T [plane, cin/groups]: no taps, no bounds tests, and the 4 pixels of a quad lie next to each other in x and
//   dy alike, so both are read as vec4s (under lavapipe one vec4 load costs about 1.4 scalar ones, where
//   backward_weight_3_subgroup loads each pixel of a quad on its own and tests it against the image's edges).
//   Each workgroup owns TM output channels of one group and WG_X*TC consecutive input channels, and one part of the
//   pixels (a run of images times a range of quads of each plane); each thread owns TC input channels and TM x TC
//   accumulators, each adding the dot product of a dy quad and an input quad. In each block of 8 output channels lane j
//   loads channel j's dy quad and subgroupBroadcast hands it to all lanes; each thread loads its TC input quads first
//   and adds each broadcast channel as it arrives (addDyBlock, dy_broadcast.wgsl), TM x TC dot products in all: keeping
//   all TM broadcasts ran 5-10% slower on lavapipe (more registers live). At the end the tile is written to
//   partial[part, :]; conv2d.sum_partials adds the parts in a fixed order, so the result is deterministic.
//   With BIAS = 1 the bias gradient db[co] = sum of dy[n, co, :] comes along, as in backward_weight_3_subgroup.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] as vec4s (read); @2 dy: NCHW f32 [batch, cout, h, w] as
//   vec4s (read); @3 partial: f32 [parts, cout * cin/groups (+ cout with BIAS)] (read_write; each part its own tiles).
// Params: batch, cin, cout, groups, plane4 (quads per plane = h*w/4), imagesPerPart, chunks (quad ranges per plane),
//   chunkQuads (quads per range), parts (= ceil(batch / imagesPerPart) * chunks), mBlocks (= ceil(cout/groups / TM)),
//   kBlocks (= ceil(cin/groups / (WG_X*TC))).
// Workgroup: WG_X threads (8 .. 64, a multiple of 8); overrides TM (8 or 16), TC (1, 2 or 4), TM * TC <= 64 (16 x 4 ran
//   5-9% faster than 16 x 2 on lavapipe, ResNet-50's 1x1s; as dot products 16 x 8 was no faster), BIAS (0 or 1). Needs
//   subgroups of at least 8 lanes (the caller checks). Every subgroup operation sits in uniform control flow: columns
//   past the group's input channels and output channels past its last one work on clamped (valid) addresses and are not
//   stored.
// Grid: linearGrid(parts * kBlocks * mBlocks * groups), parts fastest.
struct Params {
  batch: u32, cin: u32, cout: u32, groups: u32, plane4: u32, imagesPerPart: u32, chunks: u32, chunkQuads: u32,
  parts: u32, mBlocks: u32, kBlocks: u32,
}

override WG_X: u32;
override TM: u32 = 16u;
override TC: u32 = 2u;
override BIAS: u32 = 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

//!include conv2d/dy_broadcast

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.parts * p.kBlocks * p.mBlocks * p.groups) { return; }
  let part = t % p.parts;
  let kb = (t / p.parts) % p.kBlocks;
  let mb = (t / (p.parts * p.kBlocks)) % p.mBlocks;
  let g = t / (p.parts * p.kBlocks * p.mBlocks);
  let cinG = p.cin / p.groups;
  let coutG = p.cout / p.groups;
  let m0 = mb * TM;
  let rows = min(TM, coutG - m0);

  // This thread's input channels k0 .. k0+TC-1 (clamped to the group's last) and the dy channel this lane loads for
  // the subgroup in block j of 8 output channels (m0 + 8j + lane % 8, clamped): plane offsets in quads.
  let k0 = (kb * WG_X + lid) * TC;
  var xChan = array<u32, 4>();
  for (var c = 0u; c < TC; c++) { xChan[c] = (g * cinG + min(k0 + c, cinG - 1u)) * p.plane4; }
  var dyChan = array<u32, 2>();
  for (var j = 0u; j < TM / 8u; j++) { dyChan[j] = (g * coutG + m0 + min(8u * j + lane % 8u, rows - 1u)) * p.plane4; }

  let chunk = part % p.chunks;
  let n0 = (part / p.chunks) * p.imagesPerPart;
  let nEnd = min(p.batch, n0 + p.imagesPerPart);
  let q0 = chunk * p.chunkQuads;
  let qEnd = min(p.plane4, q0 + p.chunkQuads);

  var acc = array<f32, 96>(); // [m * TC + c]: summed over pixels, a quad a dot product
  var biasAcc = array<vec4f, 2>(); // [j]: the quads of the channel this lane loads in block j (BIAS = 1)
  for (var n = n0; n < nEnd; n++) {
    let xImage = n * p.cin * p.plane4;
    let dyImage = n * p.cout * p.plane4;
    for (var q = q0; q < qEnd; q++) {
      var xv = array<vec4f, 8>();
      for (var c = 0u; c < TC; c++) { xv[c] = x[xImage + xChan[c] + q]; }
      for (var j = 0u; j < TM / 8u; j++) {
        let dv = dy[dyImage + dyChan[j] + q];
        if (BIAS == 1u) { biasAcc[j] += dv; }
        addDyBlock(&acc, j, dv, &xv);
      }
    }
  }
  // Constant loop bounds keep acc in registers (a runtime index would move it to memory).
  let count = p.cout * cinG;
  let stride = count + BIAS * p.cout;
  let writesBias = BIAS == 1u && kb == 0u && subgroupAny(lid == 0u) && lane < 8u;
  if (writesBias) {
    for (var j = 0u; j < TM / 8u; j++) {
      let m = 8u * j + lane;
      if (m < rows) { partial[part * stride + count + g * coutG + m0 + m] = dot(biasAcc[j], vec4f(1.0)); }
    }
  }
  for (var m = 0u; m < TM; m++) {
    if (m >= rows) { continue; }
    let row = part * stride + (g * coutG + m0 + m) * cinG;
    for (var c = 0u; c < TC; c++) {
      if (k0 + c < cinG) { partial[row + k0 + c] = acc[m * TC + c]; }
    }
  }
}
