// adam.step_4_1_vec4: adam/step_4 (see there) four elements a thread, the buffers read and written as vec4s, for four
//   parameters of a multiple of 4 elements each (as adam/step_1_vec4). Params n, s1, s2 and s3 count vec4s.
alias AdamT = vec4f;
//!include adam/step_4_body
