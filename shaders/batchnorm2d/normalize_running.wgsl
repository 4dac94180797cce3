// batchnorm2d.normalize_running: eval mode's normalize in one pass, for any H*W: the channel's mean, scale and beta
// come from the running statistics and the affine parameters instead of a stats buffer that a pass of its own would
// write first. Used when no gradient is recorded (inference, evaluation). RELU = 1 writes max(y, 0).
// Bindings, Params, workgroup: see normalize_by_running.wgsl and normalize_body.wgsl (elements are floats); grid =
// linearGrid(groups).
alias Elem = f32;

//!include batchnorm2d/normalize_by_running
