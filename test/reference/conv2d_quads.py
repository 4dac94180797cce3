"""Reference data for conv2d at the edges of backward_weight_2_gemm_quads ('gemm' weight gradient over output rows of
a multiple of 4 pixels): a 9x9 with padding 4 over rows of 24 (taps past both ends of a row, rows above and below
the image), a 1x1, a 5x5 with a 7-channel tile cut short, a stride-2 and a dilated 3x3 (windows that do not slide),
a 9x5 with uneven padding and more output channels than a tile. forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(7)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("quads_9x9_aligned", (2, 1, 13, 24), 16, (9, 9), 1, 4, 1, 1, True),
    ("quads_1x1_aligned", (1, 4, 5, 8), 3, (1, 1), 1, 0, 1, 1, True),
    ("quads_5x5_cout7", (2, 2, 9, 12), 7, (5, 5), 1, 2, 1, 1, True),
    ("quads_stride2", (1, 3, 17, 23), 6, (3, 3), 2, 1, 1, 1, False),
    ("quads_dilated", (1, 2, 10, 16), 4, (3, 3), 1, 2, 2, 1, True),
    ("quads_cout20_9x5", (1, 2, 11, 20), 20, (9, 5), 1, (4, 0), 1, 1, True),
]

write_fixture("conv2d_quads", conv2d_cases(CASES, g))
