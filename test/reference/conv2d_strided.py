"""Reference data for conv2d's input gradient at stride > 1 over phases with subgroup-shared weights
(backward_input_3_strided_subgroup): 32, 16 and 8 input channels a thread (the last block cut short), two groups,
stride 3 with a 5x5 kernel, strides that differ between the axes, phases whose last row or column lies past the input,
and more runs than the last workgroup fills; and 1x1 weight gradients over packed planes (strided, or planes not a
multiple of 4 pixels). forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(11)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("strided_tm32", (2, 28, 9, 8), 12, (3, 3), 2, 1, 1, 1, True),
    ("strided_tm8_tail", (3, 10, 7, 7), 8, (3, 3), 2, 1, 1, 1, False),
    ("strided_groups2", (2, 32, 6, 6), 16, (3, 3), 2, 1, 1, 2, True),
    ("strided3_5x5", (1, 16, 11, 11), 8, (5, 5), 3, 2, 1, 1, True),
    ("strided_2x1_pad0_1", (1, 12, 8, 10), 8, (3, 3), (2, 1), (0, 1), 1, 1, False),
    ("strided_many_runs", (3, 8, 20, 21), 8, (3, 3), 2, 1, 1, 1, True),
    # 1x1 weight gradients on packed planes (pack_planes): strides that differ, planes not a multiple of 4, groups.
    ("pointwise_stride2x3", (2, 16, 9, 10), 12, (1, 1), (2, 3), 0, 1, 1, False),
    ("pointwise_7x7_bias", (2, 12, 7, 7), 16, (1, 1), 1, 0, 1, 1, True),
    ("pointwise_groups_stride2", (1, 32, 9, 9), 32, (1, 1), 2, 0, 1, 2, True),
]

write_fixture("conv2d_strided", conv2d_cases(CASES, g))
