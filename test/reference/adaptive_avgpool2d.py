"""Reference data for adaptive_avgpool2d: forward and input gradient (F.adaptive_avg_pool2d), with windows
[floor(i*H/oh), ceil((i+1)*H/oh)) that overlap (H not a multiple of oh), outputs larger than the input, and global
average pooling ([1, 1]) on a small plane (one thread loops) and on large ones (a workgroup reduces)."""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(5)
cases = []


def case(name, shape, out):
    x = rand(*shape, generator=g)
    y, dy, (dx,) = forward_backward(lambda t: F.adaptive_avg_pool2d(t, out), [x], g)
    cases.append((name, {"outputSize": list(out)}, {"x": x, "y": y, "dy": dy, "dx": dx}))


case("overlapping", (2, 3, 10, 9), (4, 5))
case("divides", (2, 2, 8, 12), (2, 4))
case("larger_than_input", (1, 2, 5, 3), (7, 6))
case("same_size", (1, 3, 6, 5), (6, 5))
case("global_small", (2, 3, 7, 7), (1, 1))
case("global_large", (2, 3, 36, 33), (1, 1))
case("global_75", (1, 4, 75, 75), (1, 1))
case("global_planes4", (3, 4, 7, 7), (1, 1))      # 12 planes of 49: vec4s that straddle planes
case("global_planes4_tiny", (1, 8, 1, 3), (1, 1))  # planes of 3: a vec4 reaches into a second plane every time
write_fixture("adaptive_avgpool2d", cases)
