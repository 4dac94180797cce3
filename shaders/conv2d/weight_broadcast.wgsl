// The weights of one K step for a subgroup (included by forward_3_subgroup and backward_input_3_strided_subgroup;
// needs `enable subgroups`): lane s of the subgroup loaded channel 8j + s's weight wv, and every lane gets all 8.

// Block j of the step's weights into wm[8j .. 8j + 7] (subgroupBroadcast takes a constant lane).
fn broadcastWeights(wm: ptr<function, array<f32, 32>>, j: u32, wv: f32) {
  (*wm)[8u * j] = subgroupBroadcast(wv, 0u);
  (*wm)[8u * j + 1u] = subgroupBroadcast(wv, 1u);
  (*wm)[8u * j + 2u] = subgroupBroadcast(wv, 2u);
  (*wm)[8u * j + 3u] = subgroupBroadcast(wv, 3u);
  (*wm)[8u * j + 4u] = subgroupBroadcast(wv, 4u);
  (*wm)[8u * j + 5u] = subgroupBroadcast(wv, 5u);
  (*wm)[8u * j + 6u] = subgroupBroadcast(wv, 6u);
  (*wm)[8u * j + 7u] = subgroupBroadcast(wv, 7u);
}
