"""Reference data for conv2d at the tile edges of the fast forward variants: batch 1 and small batches, 1x1 kernels
with and without stride, planes that are not a multiple of 4, channel counts that fill part of a tile, input-channel
counts that are not a multiple of 4, a long K, more pixel runs than one workgroup holds, and rows of 2 mod 4 pixels
(pixel pairs). forward, dx, dw and db."""
import torch
from common import write_fixture
from conv2d_cases import conv2d_cases

g = torch.Generator().manual_seed(3)
# name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias
CASES = [
    ("b1_pointwise_stride2", (1, 24, 9, 9), 20, (1, 1), 2, 0, 1, 1, True),
    ("b1_pointwise_plane49", (1, 36, 7, 7), 40, (1, 1), 1, 0, 1, 1, False),
    ("b2_pointwise_cin_tail", (2, 13, 5, 6), 17, (1, 1), 1, 0, 1, 1, True),
    ("b1_pointwise_groups", (1, 32, 6, 6), 48, (1, 1), 1, 0, 1, 2, False),
    ("b1_pointwise_many_runs", (1, 8, 24, 24), 16, (1, 1), 1, 0, 1, 1, True),
    ("b1_3x3_stride2", (1, 16, 14, 14), 24, (3, 3), 2, 1, 1, 1, False),
    ("b1_3x3_7x7", (1, 16, 7, 7), 40, (3, 3), 1, 1, 1, 1, True),
    ("b1_3x3_tm32", (1, 24, 9, 9), 64, (3, 3), 1, 1, 1, 1, True),
    ("b1_stem_7x7_stride2", (1, 3, 30, 30), 16, (7, 7), 2, 3, 1, 1, False),
    ("b1_many_runs", (1, 4, 36, 36), 8, (3, 3), 1, 1, 1, 1, True),
    ("b1_long_k", (1, 128, 3, 3), 8, (3, 3), 1, 1, 1, 1, False),
    ("b3_groups_3x3", (3, 16, 6, 5), 32, (3, 3), 1, 1, 1, 2, True),
    ("b1_dilation2", (1, 12, 11, 10), 12, (3, 3), 1, 2, 2, 1, True),
    # Rows of 2 mod 4 pixels with 32 channels a thread: forward_3_subgroup takes pixel pairs (forward and dx), a
    # thread's second pair on the next row or in the next image (25 and 9 pairs an image), or past the last pair.
    ("b2_pairs_rows", (2, 26, 5, 10), 26, (3, 3), 1, 1, 1, 1, True),
    ("b3_pairs_images", (3, 8, 3, 6), 27, (3, 3), 1, 1, 1, 1, False),
    ("b1_pairs_stride2_dil2", (1, 4, 12, 11), 27, (3, 3), 2, 2, 2, 1, True),
]

write_fixture("conv2d_tiles", conv2d_cases(CASES, g))
