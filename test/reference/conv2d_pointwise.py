"""Reference data for conv2d at the edges of the pointwise weight-gradient variant (backward_weight_6_pointwise): 1x1
kernels at stride 1 over planes of a multiple of 4 pixels, with output channels that leave a tile short (20: 8-wide
tiles) or fill several (48), input channels past a workgroup's columns (70), two groups, a plane split into ranges
of quads (one image, 100 quads) and parts of several images (5 images, 16 channel blocks). forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(6)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("pw_cout20_plane12", (3, 37, 6, 2), 20, (1, 1), 1, 0, 1, 1, True),
    ("pw_cout48_cin70", (3, 70, 8, 8), 48, (1, 1), 1, 0, 1, 1, True),
    ("pw_groups2", (2, 12, 4, 6), 32, (1, 1), 1, 0, 1, 2, True),
    ("pw_one_image_chunks", (1, 16, 20, 20), 16, (1, 1), 1, 0, 1, 1, False),
    ("pw_images_per_part", (5, 8, 2, 6), 256, (1, 1), 1, 0, 1, 1, True),
]

write_fixture("conv2d_pointwise", conv2d_cases(CASES, g))
