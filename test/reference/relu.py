"""Reference data for relu: forward and input gradient, including exact zeros (the kink: gradient 0 at x = 0)."""
import torch
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(1)
cases = []
for name, shape in [("c0", (2, 3, 5, 7)), ("c1", (3, 17)), ("c2", (1, 1, 1, 1))]:
    x = rand(*shape, generator=g)
    x.view(-1)[::5] = 0.0  # exact zeros at the kink
    y, dy, (dx,) = forward_backward(torch.relu, [x], g)
    cases.append((name, {}, {"x": x, "y": y, "dy": dy, "dx": dx}))
write_fixture("relu", cases)
