// The inner step of the subgroup weight-gradient kernels (included by backward_weight_3_subgroup, its _planes sibling
// and backward_weight_6_pointwise; needs the includer's TC override and `enable subgroups`): a block of 8 output
// channels' dy quads, one per lane, broadcast to every lane and added into the thread's TM x TC sums as each
// arrives. No array of broadcasts stays live: on lavapipe those registers paid for the wider tiles.
// A quad's 4 pixels are all summed into the same weight, so each sum takes the dot product of the dy quad and the
// inputs under it (a chain of 4 FMAs: a GPU does the same work as before, dot() and an add would be 5 operations),
// one scalar update, where vec4 sums (their lanes added at the end) took 4 updates: lavapipe stores every update of
// a value carried round a loop through the execution mask (a reload, a blend, a store), and the sums of a thread
// shrink 4x. ResNet-50 at batch 15, taking turns (2-core AMD EPYC): 3x3 at 56 x 56 126.6 -> 71.3 ms, at
// 14 x 14 130.8 -> 83.0; 1x1 at 56 x 56 61.7 -> 48.1 (expand) and 60.3 -> 42.0 (reduce), at 14 x 14 47.6 -> 36.6 and
// 66.4 -> 46.9. Two quads summed per update ran slower (more registers live), as did 16 x 8 and 16 x 9 tiles.

// Output channel m's dy quad dm times each of the thread's columns' inputs under the quad: acc[m * TC + c].
fn addChannel(acc: ptr<function, array<f32, 96>>, m: u32, dm: vec4f, xv: ptr<function, array<vec4f, 8>>) {
  for (var c = 0u; c < TC; c++) {
    let v = (*xv)[c];
    (*acc)[m * TC + c] = fma(dm.w, v.w, fma(dm.z, v.z, fma(dm.y, v.y, fma(dm.x, v.x, (*acc)[m * TC + c]))));
  }
}

// Block j of 8 channels, whose lane s holds channel 8j + s's quad dv (subgroupBroadcast takes a constant lane).
fn addDyBlock(acc: ptr<function, array<f32, 96>>, j: u32, dv: vec4f, xv: ptr<function, array<vec4f, 8>>) {
  addChannel(acc, 8u * j, subgroupBroadcast(dv, 0u), xv);
  addChannel(acc, 8u * j + 1u, subgroupBroadcast(dv, 1u), xv);
  addChannel(acc, 8u * j + 2u, subgroupBroadcast(dv, 2u), xv);
  addChannel(acc, 8u * j + 3u, subgroupBroadcast(dv, 3u), xv);
  addChannel(acc, 8u * j + 4u, subgroupBroadcast(dv, 4u), xv);
  addChannel(acc, 8u * j + 5u, subgroupBroadcast(dv, 5u), xv);
  addChannel(acc, 8u * j + 6u, subgroupBroadcast(dv, 6u), xv);
  addChannel(acc, 8u * j + 7u, subgroupBroadcast(dv, 7u), xv);
}
