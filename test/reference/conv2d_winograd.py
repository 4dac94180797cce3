"""Reference data for conv2d at the edges of the winograd variant (F(4x4, 3x3); forward_8_winograd_*,
backward_weight_7_winograd_*, forward and weight gradient): 3x3 kernels at stride 1 with outputs that leave the last
4x4 tiles short in both directions (11 x 9) and tile planes padded to a multiple of 4 (9 tiles), padding 0, 2 and (2,
0), one tile of which 3 outputs are stored (3 x 3), and a long sum over input channels (64 x 9 taps). Channels from
16 up, so that a software device's rules pick 'winograd' for every pass where the outputs a channel reach 512
(wg_pad2, wg_long_sum), as well as the forced variant tests. forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(23)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("wg_pad0_short_tiles", (3, 20, 13, 11), 24, (3, 3), 1, 0, 1, 1, True),
    ("wg_pad2", (4, 16, 9, 10), 16, (3, 3), 1, 2, 1, 1, False),
    ("wg_pad2_0", (2, 16, 10, 9), 20, (3, 3), 1, (2, 0), 1, 1, True),
    ("wg_one_tile", (4, 16, 3, 3), 16, (3, 3), 1, 1, 1, 1, True),
    ("wg_long_sum", (3, 64, 13, 14), 24, (3, 3), 1, 1, 1, 1, True),
]

write_fixture("conv2d_winograd", conv2d_cases(CASES, g))
