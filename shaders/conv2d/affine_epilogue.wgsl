// What a conv2d forward applies to its outputs as it stores them (included by forward_3_subgroup,
// forward_4_pointwise, forward_5_tiled and sum_partials_affine): with AFFINE = 1 an eval-mode batch norm that alone
// reads the conv's output, y = (r - mean[c]) * scale[c] + beta[c] from batchnorm2d's [5, C] stats rows (mean, var,
// invstd, scale = weight * invstd, beta), with AFFINE = 2 then max(y, 0) (its fused ReLU); with AFFINE = 0, y = r.
// With RESIDUAL, a residual block's end as well: each stored value becomes max(y + res[i], 0), the identity added and
// the block's ReLU. The batch norm's (and the add's) own passes are then not run, and the conv's output is never
// written. Needs bindings `stats: array<f32>`, `res: array<f32>` and `y: array<f32>`, and the Params field cout.

override AFFINE: u32 = 0u;

// Output channel co's values r (bias added) as they are stored.
fn epilogue(r: vec4f, co: u32) -> vec4f {
  if (AFFINE == 0u) { return r; }
  let y = (r - stats[co]) * stats[3u * p.cout + co] + stats[4u * p.cout + co];
  if (AFFINE == 2u) { return max(y, vec4f(0.0)); }
  return y;
}

override RESIDUAL: bool = false;

// Stores output element i of value v (with RESIDUAL, the identity added and the ReLU applied).
fn put(i: u32, v: f32) {
  if (RESIDUAL) {
    y[i] = max(v + res[i], 0.0);
  } else {
    y[i] = v;
  }
}
