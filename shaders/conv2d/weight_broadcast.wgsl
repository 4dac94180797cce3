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

// All 32 weights of a K step from one quad a lane (TAP_MAJOR in forward_3_subgroup): lane s loaded channels
// 4s .. 4s + 3, into wm[4s .. 4s + 3].
fn broadcastQuads(wm: ptr<function, array<f32, 32>>, wv: vec4f) {
  putQuad(wm, 0u, subgroupBroadcast(wv, 0u));
  putQuad(wm, 1u, subgroupBroadcast(wv, 1u));
  putQuad(wm, 2u, subgroupBroadcast(wv, 2u));
  putQuad(wm, 3u, subgroupBroadcast(wv, 3u));
  putQuad(wm, 4u, subgroupBroadcast(wv, 4u));
  putQuad(wm, 5u, subgroupBroadcast(wv, 5u));
  putQuad(wm, 6u, subgroupBroadcast(wv, 6u));
  putQuad(wm, 7u, subgroupBroadcast(wv, 7u));
}

fn putQuad(wm: ptr<function, array<f32, 32>>, s: u32, q: vec4f) {
  (*wm)[4u * s] = q.x;
  (*wm)[4u * s + 1u] = q.y;
  (*wm)[4u * s + 2u] = q.z;
  (*wm)[4u * s + 3u] = q.w;
}
