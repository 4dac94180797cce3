// The ordered sum that ends batchnorm2d's backward_reduce passes (included by backward_reduce, backward_reduce_argmax,
// backward_reduce_windows and backward_reduce_vec4_body): each thread's (sum of dy, sum of dy * (x - mean)), added by
// thread 0 in thread order (deterministic) into part[g]. Needs the override WG_X and the binding part:
// array<vec2f> (read_write); call it from uniform control flow.

var<workgroup> acc: array<vec2f, WG_X>;

fn storePartSum(g: u32, lid: u32, sum: vec2f) {
  acc[lid] = sum;
  workgroupBarrier();
  if (lid == 0u) {
    var r = acc[0];
    for (var k = 1u; k < WG_X; k++) { r += acc[k]; }
    part[g] = r;
  }
}
