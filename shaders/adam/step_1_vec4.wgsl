// adam.step_1_vec4: adam/step (see there) four elements a thread, the buffers read and written as vec4s, for
//   parameters of a multiple of 4 elements: lavapipe runs a per-lane loop for each buffer access, and a vec4 access
//   moves four values in one. Params n counts vec4s.
alias AdamT = vec4f;
//!include adam/step_body
