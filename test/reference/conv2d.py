"""Reference data for conv2d: forward, dx, dw and db over odd shapes and every hyper-parameter the op takes."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(2)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("basic", (2, 3, 9, 11), 5, (3, 3), 1, 1, 1, 1, True),
    ("stride_gt_kernel", (3, 2, 13, 10), 3, (2, 2), 3, 0, 1, 1, True),
    ("dilation2", (2, 3, 11, 9), 6, (3, 3), 1, 2, 2, 1, True),
    ("groups2", (2, 6, 7, 9), 10, (3, 3), 2, 1, 1, 2, True),
    ("depthwise", (2, 5, 9, 8), 5, (3, 3), 1, 1, 1, 5, True),
    ("depthwise_x2", (2, 3, 7, 7), 6, (3, 3), 2, 1, 1, 3, False),
    ("no_bias", (3, 7, 6, 5), 9, (3, 3), 1, 0, 1, 1, False),
    ("pointwise", (2, 13, 5, 7), 11, (1, 1), 1, 0, 1, 1, True),
    ("k9_pad4", (2, 1, 17, 15), 16, (9, 9), 1, 4, 1, 1, True),
    ("k5_pad2", (3, 1, 13, 11), 16, (5, 5), 1, 2, 1, 1, True),
    ("asymmetric", (2, 3, 10, 13), 5, (3, 5), (2, 1), (0, 2), (1, 2), 1, True),
    ("pad_gt_half_kernel", (1, 2, 5, 6), 3, (2, 3), 2, 3, 1, 1, True),
    ("many_tiles", (2, 19, 12, 11), 37, (3, 3), 1, 1, 1, 1, True),
    ("wide_groups", (2, 8, 9, 9), 36, (3, 3), 1, 1, 1, 4, False),
    ("one_output_channel", (2, 20, 6, 7), 1, (3, 3), 1, 1, 1, 1, True),
    ("wide_stride2", (1, 3, 9, 41), 4, (3, 3), 2, 1, 1, 1, True),  # phase rows longer than a run of 16
    ("wide_pointwise_stride3", (2, 5, 7, 50), 6, (1, 1), 3, 0, 1, 1, False),
]

write_fixture("conv2d", conv2d_cases(CASES, g))
