"""Reference data for conv2d at the edges of backward_weight_3_subgroup_planes ('subgroup' weight gradient walking
each output plane a quad of pixels at a time across rows): rows of 6 and 14 (quads that cross a row's end), rows of
exactly 4, a stride-2 and a dilated 3x3, a plane split into ranges of quads mid-row (one image, few tiles), two
groups, 20 output channels (a tile cut short). forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(8)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("planes_rows6", (2, 3, 6, 6), 8, (3, 3), 1, 1, 1, 1, True),
    ("planes_rows14_cout20", (2, 5, 14, 14), 20, (3, 3), 1, 1, 1, 1, True),
    ("planes_rows4", (3, 2, 3, 4), 16, (3, 3), 1, 1, 1, 1, False),
    ("planes_stride2", (1, 4, 11, 11), 8, (3, 3), 2, 1, 1, 1, True),
    ("planes_dilated", (1, 3, 10, 10), 8, (3, 3), 1, 2, 2, 1, True),
    ("planes_one_image_ranges", (1, 2, 18, 10), 8, (3, 3), 1, 1, 1, 1, True),
    ("planes_groups2", (2, 8, 6, 10), 16, (3, 3), 1, 1, 1, 2, True),
]

write_fixture("conv2d_planes", conv2d_cases(CASES, g))
