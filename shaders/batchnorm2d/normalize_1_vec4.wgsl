// batchnorm2d.normalize (vec4 variant): as normalize.wgsl, for H*W a multiple of 4, reading and writing vec4s (a
// quarter of lavapipe's gathers and scattered stores).
// Bindings, Params, workgroup: see normalize_by_stats.wgsl and normalize_body.wgsl (elements are vec4s: hw = H*W / 4);
// grid = linearGrid(groups).
alias Elem = vec4f;

//!include batchnorm2d/normalize_by_stats
