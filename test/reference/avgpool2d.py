"""Reference data for avgpool2d: forward and input gradient (F.avg_pool2d) with PyTorch's divisor rules:
count_include_pad both ways (Inception's 3x3 stride 1 pad 1: torchvision counts padding, timm does not), ceil_mode
windows that run past the padded input (those positions never count), divisor_override, kernel 2 stride 3 (CNN-X),
rectangular windows and overlapping windows."""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(4)
cases = []


def case(name, shape, kernel, stride, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    x = rand(*shape, generator=g)
    fn = lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    y, dy, (dx,) = forward_backward(fn, [x], g)
    pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
    attrs = {"kernel": pair(kernel), "stride": pair(stride), "padding": pair(padding), "ceilMode": ceil_mode,
             "countIncludePad": count_include_pad}
    if divisor_override is not None:
        attrs["divisorOverride"] = divisor_override
    cases.append((name, attrs, {"x": x, "y": y, "dy": dy, "dx": dx}))


case("inception_pad_counted", (2, 4, 7, 9), 3, 1, 1)
case("inception_pad_not_counted", (2, 4, 7, 8), 3, 1, 1, count_include_pad=False)
case("k2s3_cnnx", (2, 3, 14, 16), 2, 3)
case("rect_odd", (1, 3, 11, 12), (3, 2), (2, 1), (1, 0))
case("ceil_past_pad_counted", (2, 2, 6, 7), 3, 2, 1, ceil_mode=True)
case("ceil_past_pad_not_counted", (2, 2, 6, 8), 3, 2, 1, ceil_mode=True, count_include_pad=False)
case("ceil_drops_last", (1, 2, 5, 8), 2, 2, 1, ceil_mode=True)
case("ceil_no_pad", (2, 3, 10, 11), 3, 2, ceil_mode=True, count_include_pad=False)
case("divisor_override", (2, 3, 9, 8), 3, 2, 1, divisor_override=5)
case("divisor_override_ceil", (1, 2, 8, 12), 3, 2, 1, ceil_mode=True, divisor_override=2)
case("stride_gt_kernel", (1, 2, 12, 16), 2, 4)
write_fixture("avgpool2d", cases)
