"""Reference data for conv2d at the edges of forward_6_depthwise_reduce (one output channel per group, several input
channels, rows of a multiple of 4 inputs): kernels 3x3 to 9x9 and rectangular, every offset of a row's first tap in
its quad (padding 0 to 4), blocks of 8 rows cut short, strips past the row's end (outputs of 14 and 5 columns), two
groups, a bias or none; and the input gradients that run it: depthwise convs with a channel multiplier (CNN-X's
1 -> 16 shape at 9x9, and two groups of 3). forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(9)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("reduce_3x3_cin16", (2, 16, 9, 12), 1, (3, 3), 1, 1, 1, 1, True),
    ("reduce_5x5_groups2", (1, 6, 13, 8), 2, (5, 5), 1, 2, 1, 2, True),
    ("reduce_9x9_pad4", (1, 4, 11, 16), 1, (9, 9), 1, 4, 1, 1, False),
    ("reduce_9x9_pad3", (2, 3, 10, 12), 1, (9, 9), 1, 3, 1, 1, True),
    ("reduce_3x5_pad0_1", (2, 5, 7, 4), 1, (3, 5), 1, (0, 1), 1, 1, True),
    ("reduce_7x3_pad2_0", (1, 3, 17, 8), 1, (7, 3), 1, (2, 0), 1, 1, False),
    ("reduce_dx_cnnx_9x9", (2, 1, 10, 12), 8, (9, 9), 1, 4, 1, 1, True),
    ("reduce_dx_multiplier3_groups2", (1, 2, 7, 8), 6, (5, 5), 1, 2, 1, 2, True),
]

write_fixture("conv2d_reduce", conv2d_cases(CASES, g))
