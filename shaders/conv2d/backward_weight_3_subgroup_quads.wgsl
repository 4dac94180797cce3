enable subgroups;
// conv2d.backward_weight (variant 3 over aligned quads): backward_weight_3_subgroup for output rows of a multiple of
//   4 pixels (ResNet's 56 x 56 and 28 x 28 convs, its 112 x 112 stem): each lane's dy quad is one vec4 load instead
//   of 4 scalar loads clamped to the row (under lavapipe a vec4 load costs about 1.4 scalar ones). Everything else,
//   results included, is backward_weight_3_subgroup's.
// Bindings: as backward_weight_3_subgroup, with @2 dy: NCHW f32 [batch, cout, oh, ow] as vec4s (read).
// Params, workgroup and grid: as backward_weight_3_subgroup; ow % 4 == 0.
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;

fn dyQuad(row: u32, ox0: u32) -> vec4f {
  return dy[(row + ox0) / 4u];
}

//!include conv2d/backward_weight_3_subgroup_body
