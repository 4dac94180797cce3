"""Reference data for conv2d: forward, dx, dw and db over odd shapes and every hyper-parameter the op takes."""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

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
]

cases = []
for name, (n, cin, h, w), cout, (kh, kw), stride, padding, dilation, groups, has_bias in CASES:
    x = rand(n, cin, h, w, generator=g)
    wt = rand(cout, cin // groups, kh, kw, generator=g) / (cin // groups * kh * kw) ** 0.5
    b = rand(cout, generator=g) if has_bias else None

    def fn(x_, w_, b_):
        return F.conv2d(x_, w_, b_, stride=stride, padding=padding, dilation=dilation, groups=groups)

    y, dy, (dx, dw, db) = forward_backward(fn, [x, wt, b], g)
    pair = lambda v: list(v) if isinstance(v, tuple) else v
    attrs = {"stride": pair(stride), "padding": pair(padding), "dilation": pair(dilation), "groups": groups}
    roles = {"x": x, "w": wt, "y": y, "dy": dy, "dx": dx, "dw": dw}
    if has_bias:
        roles.update(b=b, db=db)
    cases.append((name, attrs, roles))
write_fixture("conv2d", cases)
