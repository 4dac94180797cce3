// batchnorm2d.normalize_running (vec4 variant): as normalize_running.wgsl, for H*W a multiple of 4, as vec4s.
// Bindings, Params, workgroup: see normalize_by_running.wgsl and normalize_body.wgsl (elements are vec4s: hw =
// H*W / 4); grid = linearGrid(groups).
alias Elem = vec4f;

//!include batchnorm2d/normalize_by_running
