"""Reference data for conv2d at the edges of the patch variants (forward_7_patch, backward_weight_5_patch): output
blocks cut short at the right and bottom, several input channels, more than 16 output channels (two channel blocks),
kernels of 1x1 up to 16 high and 121 taps, padding uneven and wider than the kernel, and more blocks than parts.
forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(5)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("patch_blocks_cut_short", (2, 1, 37, 70), 16, (9, 9), 1, 4, 1, 1, True),
    ("patch_cin3_cout20", (1, 3, 19, 33), 20, (3, 3), 1, 1, 1, 1, True),
    ("patch_16x7_kernel", (1, 1, 20, 40), 5, (16, 7), 1, (7, 3), 1, 1, False),
    ("patch_11x11_uneven_pad", (2, 2, 23, 17), 6, (11, 11), 1, (5, 2), 1, 1, False),
    ("patch_1x1", (1, 4, 9, 9), 7, (1, 1), 1, 0, 1, 1, True),
    ("patch_pad_gt_kernel", (1, 1, 6, 5), 3, (3, 5), 1, (4, 3), 1, 1, True),
    ("patch_cin5_7x3", (1, 5, 12, 40), 4, (7, 3), 1, (3, 1), 1, 1, True),
]

write_fixture("conv2d_patch", conv2d_cases(CASES, g))
