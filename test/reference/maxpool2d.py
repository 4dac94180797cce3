"""Reference data for maxpool2d: forward and input gradient (F.max_pool2d), including exact ties (x rounded to a few
values, so PyTorch's first-maximum rule decides), overlapping windows (stride < kernel), stride > kernel (CNN-X's
kernel 2 stride 3), padding, dilation 2, and ceil_mode both where it grows the output and where its rule that the
last window starts inside the input or left padding drops a window."""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(3)
cases = []


def case(name, shape, kernel, stride, padding=0, dilation=1, ceil_mode=False, ties=False):
    x = rand(*shape, generator=g)
    if ties:
        x = torch.round(x * 2) / 2  # five values: most windows hold a tied maximum
    fn = lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode)
    y, dy, (dx,) = forward_backward(fn, [x], g)
    pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
    attrs = {"kernel": pair(kernel), "stride": pair(stride), "padding": pair(padding), "dilation": pair(dilation),
             "ceilMode": ceil_mode}
    cases.append((name, attrs, {"x": x, "y": y, "dy": dy, "dx": dx}))


case("k3s2_odd", (2, 3, 9, 11), 3, 2, 1)
case("k2s3_cnnx", (2, 3, 14, 16), 2, 3)
case("rect_stride_gt_kernel", (1, 2, 13, 12), (2, 3), (4, 3), (1, 0))
case("overlap_k3s1p1", (2, 2, 7, 8), 3, 1, 1)
case("dilation2", (1, 3, 11, 12), 3, (1, 2), 1, 2)
case("ceil_grows", (2, 3, 10, 12), 3, 2, ceil_mode=True)           # 10 -> 5 (4 without ceil)
case("ceil_drops_last", (1, 2, 5, 8), 2, 2, 1, ceil_mode=True)     # 5 + pad 1: a 4th window would start in right pad
case("ties_overlap", (2, 3, 8, 12), 3, 1, 1, ties=True)
case("ties_ceil", (2, 2, 9, 9), 3, 2, ceil_mode=True, ties=True)
case("ties_k2s2", (1, 4, 6, 8), 2, 2, ties=True)
case("dilation2_padded_ceil", (2, 2, 9, 16), (3, 2), (2, 3), 1, (2, 3), ceil_mode=True)
write_fixture("maxpool2d", cases)
