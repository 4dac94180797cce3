"""Reference data for depthwise conv2d (one input channel per group) at the edges of the depthwise variants: strips of
16, 8 and 4 columns with a partial last one, rows in several chunks, channel multipliers, kernels up to 7 high and
padding wider than the kernel. forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(4)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("dw_strip16_rows_chunked", (2, 3, 70, 47), 3, (3, 3), 1, 1, 1, 3, True),
    ("dw_strip4_plane19", (3, 4, 19, 19), 4, (3, 3), 1, 1, 1, 4, False),
    ("dw_strip8", (2, 3, 9, 37), 3, (3, 3), 1, 1, 1, 3, False),
    ("dw_5x5_multiplier2", (2, 3, 11, 13), 6, (5, 5), 1, 2, 1, 3, True),
    ("dw_7x5_pad0", (1, 2, 12, 10), 2, (7, 5), 1, 0, 1, 2, True),
    ("dw_pad_gt_kernel", (1, 2, 5, 6), 2, (3, 3), 1, 3, 1, 2, False),
    # Channel multipliers (forward_6_depthwise_multi): 4 and 16 channels per thread block at 3x3, 2 at 5x5, 6 (2 a
    # thread) with two groups; CNN-X's 1-channel convs have 16.
    ("dw_multiplier4_3x3", (2, 1, 13, 21), 4, (3, 3), 1, 1, 1, 1, True),
    ("dw_multiplier16_3x3_rows_chunked", (1, 1, 70, 30), 16, (3, 3), 1, 1, 1, 1, False),
    ("dw_multiplier16_5x5", (2, 1, 9, 17), 16, (5, 5), 1, 2, 1, 1, True),
    ("dw_multiplier6_groups2", (1, 2, 10, 11), 12, (3, 3), 1, 1, 1, 2, True),
    # Rows of a multiple of 4 with a multiplier (backward_weight_4_depthwise_multi, dy read as vec4s): 4 channels a
    # thread in two blocks, 2 at 5x5 with a strip past the row's end, two groups over rows of 4, chunked rows.
    ("dw_weight_multi_3x3_rows8", (2, 1, 9, 8), 8, (3, 3), 1, 1, 1, 1, True),
    ("dw_weight_multi_5x5_rows12", (2, 1, 7, 12), 16, (5, 5), 1, 2, 1, 1, True),
    ("dw_weight_multi_groups2_rows4", (1, 2, 6, 4), 4, (3, 3), 1, 1, 1, 2, False),
    ("dw_weight_multi_rows_chunked", (1, 1, 70, 8), 4, (3, 3), 1, 1, 1, 1, True),
    # Kernels of 8 and 9 (forward_6_depthwise_multi only, 2 channels a thread; the one-channel kernels stop at 7):
    # CNN-X's 9x9 shape with 2 channel blocks and a strip past the row's end, a 9x7 with two groups, an 8x8 with a
    # multiplier of 6, and a 9x9 without a multiplier (no depthwise variant: 'gemm').
    ("dw_9x9_multiplier4", (2, 1, 11, 13), 4, (9, 9), 1, 4, 1, 1, True),
    ("dw_9x7_multiplier2_groups2", (1, 2, 12, 10), 4, (9, 7), 1, (4, 2), 1, 2, False),
    ("dw_8x8_multiplier6", (1, 1, 14, 9), 6, (8, 8), 1, 3, 1, 1, True),
    ("dw_9x9_one_channel", (1, 3, 10, 10), 3, (9, 9), 1, 4, 1, 3, True),
    # An 8x8 weight gradient over rows of 12 with two groups (backward_weight_4_depthwise_multi, 2 channels a thread).
    ("dw_weight_multi_8x8_groups2", (1, 2, 12, 13), 4, (8, 8), 1, 3, 1, 2, True),
]

write_fixture("conv2d_depthwise", conv2d_cases(CASES, g))
