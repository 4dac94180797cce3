// A kernel row's KW products summed as a tree (included by forward_6_depthwise_multi; needs override KW and const
// MAX_K >= KW from the including shader). Added in one chain, a 9x9's 81 taps are 81 dependent adds per output (3-4
// cycles each on a CPU), and lavapipe's compiler schedules one chain at a time; as a tree of depth 4 per kernel row
// they are 9 + 4 adds deep. Lavapipe (2-core AMD EPYC), CNN-X's 9x9 forward at batch 15, alternating in one process:
// 61.7-67.4 -> 54.6-57.1 ms (one outlier 61.0); its 3x3 and 5x5 (store-bound) level; the same change in
// forward_6_depthwise_reduce (the 1-channel input gradients) measured level, so it stays a chain there.

// t[0] + ... + t[KW - 1], pairwise.
fn pairwiseSum(t0: array<vec4f, MAX_K>) -> vec4f {
  var t = t0;
  if (KW > 1u) { t[0] = t[0] + t[1]; }
  if (KW > 3u) { t[2] = t[2] + t[3]; }
  if (KW > 5u) { t[4] = t[4] + t[5]; }
  if (KW > 7u) { t[6] = t[6] + t[7]; }
  if (KW > 2u) { t[0] = t[0] + t[2]; }
  if (KW > 6u) { t[4] = t[4] + t[6]; }
  if (KW > 4u) { t[0] = t[0] + t[4]; }
  if (KW > 8u) { t[0] = t[0] + t[8]; }
  return t[0];
}
