"""Reference data for conv2d at the tile edges of the fast forward variants: batch 1 and small batches, 1x1 kernels
with and without stride, planes that are not a multiple of 4, channel counts that fill part of a tile, input-channel
counts that are not a multiple of 4, a long K, and more pixel runs than one workgroup holds. forward, dx, dw and db."""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

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
]

cases = []
for name, (n, cin, h, w), cout, (kh, kw), stride, padding, dilation, groups, has_bias in CASES:
    x = rand(n, cin, h, w, generator=g)
    wt = rand(cout, cin // groups, kh, kw, generator=g) / (cin // groups * kh * kw) ** 0.5
    b = rand(cout, generator=g) if has_bias else None

    def fn(x_, w_, b_):
        return F.conv2d(x_, w_, b_, stride=stride, padding=padding, dilation=dilation, groups=groups)

    y, dy, (dx, dw, db) = forward_backward(fn, [x, wt, b], g)
    attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    roles = {"x": x, "w": wt, "y": y, "dy": dy, "dx": dx, "dw": dw}
    if has_bias:
        roles.update(b=b, db=db)
    cases.append((name, attrs, roles))
write_fixture("conv2d_tiles", cases)
