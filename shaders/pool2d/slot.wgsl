// Pooling's channel slot (included by the pool shaders): y and dy may be channels [offset, offset + c) of a wider
// [N, cy, oh, ow] tensor (concat_pool2d writes each pool into its slot of the concatenation).
// Needs Params fields c, cy, offset.

// Plane of y (and dy) that plane n*c + ch of x pools into: channel offset + ch of a [N, cy, oh, ow] tensor.
fn yPlane(plane: u32) -> u32 {
  let n = plane / p.c;
  return n * p.cy + p.offset + (plane - n * p.c);
}
