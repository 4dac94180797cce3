// adam.step_4: adam/step.wgsl's update for four parameters in one dispatch (a model's many small tensors: CNN-X's
//   convolution weights, biases and batch norm parameters would otherwise take a dispatch each). The four share the
//   step count, so the bias corrections; thread i takes element i of the four laid end to end.
// Bindings: @0 p: Params; for each parameter k = 0..3 @(4k+1) wk: array<f32> (read_write), @(4k+2) dwk: array<f32>
//   (read), @(4k+3) mk, @(4k+4) vk: array<f32> (read_write), each with parameter k's layout.
// Params: n (elements of the four together), s1, s2, s3 (where parameters 1, 2, 3 start in that order), then the
//   hyper-parameters as adam/step.
// Workgroup: WG_X threads, one element each; grid = linearGrid(ceil(n / WG_X)).
alias AdamT = f32;
//!include adam/step_4_body
