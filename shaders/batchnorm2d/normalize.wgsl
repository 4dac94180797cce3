// batchnorm2d.normalize: y = (x - mean[c]) * scale[c] + beta[c], scale = w * invstd, from the stats rows (batch or
// running statistics), for any H*W (normalize_1_vec4 is the faster variant when H*W is a multiple of 4). With
// RELU = 1 (batchnorm2d_relu) it writes max(y, 0) instead, the ReLU fused into the same pass.
// Bindings, Params, workgroup: see normalize_by_stats.wgsl and normalize_body.wgsl (elements are floats); grid =
// linearGrid(groups).
alias Elem = f32;

//!include batchnorm2d/normalize_by_stats
