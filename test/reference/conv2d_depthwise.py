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
]

write_fixture("conv2d_depthwise", conv2d_cases(CASES, g))
