// The inner step of the subgroup weight-gradient kernels (included by backward_weight_3_subgroup, its _planes sibling
// and backward_weight_6_pointwise; needs the includer's TC override and `enable subgroups`): a block of 8 output
// channels' dy quads, one per lane, broadcast to every lane and added into the thread's TM x TC vec4 sums as each
// arrives. No array of broadcasts stays live: on lavapipe those registers paid for the wider tiles.

// Output channel m's dy quad dm times each of the thread's columns' inputs under the quad: acc[m * TC + c].
fn addChannel(acc: ptr<function, array<vec4f, 96>>, m: u32, dm: vec4f, xv: ptr<function, array<vec4f, 8>>) {
  for (var c = 0u; c < TC; c++) { (*acc)[m * TC + c] = fma(dm, (*xv)[c], (*acc)[m * TC + c]); }
}

// Block j of 8 channels, whose lane s holds channel 8j + s's quad dv (subgroupBroadcast takes a constant lane).
fn addDyBlock(acc: ptr<function, array<vec4f, 96>>, j: u32, dv: vec4f, xv: ptr<function, array<vec4f, 8>>) {
  addChannel(acc, 8u * j, subgroupBroadcast(dv, 0u), xv);
  addChannel(acc, 8u * j + 1u, subgroupBroadcast(dv, 1u), xv);
  addChannel(acc, 8u * j + 2u, subgroupBroadcast(dv, 2u), xv);
  addChannel(acc, 8u * j + 3u, subgroupBroadcast(dv, 3u), xv);
  addChannel(acc, 8u * j + 4u, subgroupBroadcast(dv, 4u), xv);
  addChannel(acc, 8u * j + 5u, subgroupBroadcast(dv, 5u), xv);
  addChannel(acc, 8u * j + 6u, subgroupBroadcast(dv, 6u), xv);
  addChannel(acc, 8u * j + 7u, subgroupBroadcast(dv, 7u), xv);
}
