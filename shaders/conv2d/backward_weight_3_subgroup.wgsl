enable subgroups;
// conv2d.backward_weight (variant 3, GEMM with subgroup-shared output gradients): partial sums of the weight gradient,
//   as backward_weight.wgsl. Per group, dw [cout/groups, K] = dy [cout/groups, P] * im2col(x)^T [P, K] with
//   P = batch*oh*ow pixels and K = cin/groups*kh*kw weight columns k = (ci*kh + ky)*kw + kx.
//   Each workgroup owns TM output channels of one group and WG_X*TC consecutive columns k, one part of the pixels
//   (a range of output rows (n, oy)); each thread owns TC columns and TM x TC vec4 accumulators, one lane per pixel
//   of a quad. All threads of a workgroup walk the same pixels, so per quad of 4 pixels the TM dy rows are the same
//   for every lane: in each block of 8 channels lane j loads channel j's quad and subgroupBroadcast hands it to all
//   lanes (under lavapipe a load costs about as much per lane whether or not the lanes share the address, a broadcast
//   about one FMA; see forward_3_subgroup). Each thread then loads its TC columns' inputs under the quad (zero outside
//   the image) and does TM x TC vec4 FMAs. At the end the 4 lanes of each accumulator are added and the tile is
//   written to partial[part, :]; conv2d.sum_partials adds the parts in a fixed order, so the result is deterministic.
//   With BIAS = 1 the bias gradient db[co] = sum of dy[n, co, oy, ox] comes along: every lane adds up the dy quads it
//   loads for its subgroup, and in the first column block lanes 0-7 of the subgroup holding thread 0 (one lane per
//   channel of each block of 8) write those sums after the weights.
// Bindings: @0 p: Params; @1 x: NCHW f32 [batch, cin, h, w] (read); @2 dy: NCHW f32 [batch, cout, oh, ow] (read);
//   @3 partial: f32 [parts, cout * cin/groups * kh * kw (+ cout with BIAS)] (read_write; each part writes its own
//   tiles).
// Params: the conv shape (batch, cin, h, w, cout, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups),
//   rowsPerPart (output rows (n, oy) per part), parts (= ceil(batch*oh / rowsPerPart)), mBlocks (= ceil(cout/groups /
//   TM)), kBlocks (= ceil(K / (WG_X*TC))).
// Workgroup: WG_X threads (8 .. 64, a multiple of 8); overrides TM (8 or 16), TC (1, 2 or 4) and BIAS (0 or 1),
//   TM * TC <= 32 (past that the loop unroller gives up and the accumulators spill to memory). Needs subgroups of at least 8 lanes (the
//   caller checks). Every subgroup operation sits in uniform control flow: columns past K and channels past the
//   group's last one work on clamped (valid) addresses and are not stored; pixels past a row's end get dy = 0.
// Grid: linearGrid(parts * kBlocks * mBlocks * groups), parts fastest.
@group(0) @binding(2) var<storage, read> dy: array<f32>;

fn dyQuad(row: u32, ox0: u32) -> vec4f {
  let last = p.ow - 1u;
  let valid = vec4f(vec4<bool>(true, ox0 + 1u <= last, ox0 + 2u <= last, ox0 + 3u <= last));
  return valid * vec4f(dy[row + ox0], dy[row + min(ox0 + 1u, last)], dy[row + min(ox0 + 2u, last)],
                       dy[row + min(ox0 + 3u, last)]);
}

//!include conv2d/backward_weight_3_subgroup_body
