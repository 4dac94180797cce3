// conv2d.forward (variant 6 with a channel multiplier): forward_6_depthwise (see there: each thread slides a window
//   of input rows down a strip of outputs, loading each input about once) for depthwise convs with several output
//   channels per group (cout/groups > 1: CNN-X's 1-channel convs, 16 outputs each): a thread computes TMC
//   consecutive output channels of its group from the one window, so each input load serves TMC times as many FMAs.
//   Lavapipe, batch 15, 224 x 224, 16 channels, alternating with one channel a thread: the 3x3 (TMC = 4) 19-21 ->
//   16 ms, the 5x5 (TMC = 2) 27-28 -> 24-25. forward_6_depthwise itself keeps one channel a thread: this shader with
//   TMC = 1 ran Xception's 147 x 147 depthwise conv in 80-84 ms against its 71-72. With the tap rows summed by one
//   call each (a loop over a 9x9's is left rolled) and up to 162 weights a thread: CNN-X's 9x9 (TMC = 2) 42 ms
//   against 61-64 for 'subgroup', its 5x5 (TMC = 4) 17-20 against 21-22 with TMC = 2; TMC = 4 at 9x9 ran 139. On a
//   later machine, with the quads below and whole planes a thread, the 9x9 ran faster with TMC = 1 (conv2d.ts,
//   DW_MAX_WEIGHTS); TMC = 1 runs this shader for kernels past forward_6_depthwise's 7x7.
//   Each kernel row's products are summed as a tree (pairwise_sum.wgsl: the 9x9 10-15% faster on a 2-core AMD EPYC).
//   With QUADS (rows of w % 4 == 0) the input rows come as aligned vec4s (depthwise_window_quads.wgsl: lavapipe
//   pays per lane and component for a load, a vec4 about what two scalars cost): taking turns, 9x9 55.9 -> 48.7 ms,
//   5x5 21.2 -> 20.3, 3x3 13.1 -> 12.7.
// Bindings: as forward_6_depthwise (@2 w: OIHW f32 [cout, 1, kh, kw]), and @5 x4: x as vec4s (read; any buffer of 16
//   bytes or more without QUADS).
// Params: as forward_6_depthwise.
// Workgroup: WG_X threads; overrides STRIP, KH, KW as forward_6_depthwise, TMC (output channels per thread: 1, 2 or
//   4, dividing cout/groups; TMC * KH * KW <= 162), and QUADS with OFF as depthwise_window_quads.wgsl needs them; KH,
//   KW <= MAX_K (9).
// Grid: linearGrid(ceil(batch * cout/TMC * chunks * strips / WG_X)), strips fastest, then chunks, then channel blocks.

fn keepRow(acc: ptr<function, array<vec4f, 8>>, cols: u32) {}

fn finish(n: u32, co0: u32, chunk: u32, s: u32) {}

//!include conv2d/forward_6_depthwise_multi_body
