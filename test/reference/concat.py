"""Reference data for concat along channels: forward and the gradient of every input (slices at the boundaries)."""
import torch
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(3)
cases = []
for name, channels, rest in [("c0", (3, 5, 1), (2, 7, 9)), ("c1", (16, 16, 16, 16), (2, 5, 5)), ("c2", (1, 2), (3,))]:
    batch = rest[0]
    xs = [rand(batch, c, *rest[1:], generator=g) for c in channels]
    y, dy, grads = forward_backward(lambda *t: torch.cat(t, dim=1), xs, g)
    roles = {"y": y, "dy": dy}
    for i, (x, dx) in enumerate(zip(xs, grads)):
        roles[f"x{i}"] = x
        roles[f"dx{i}"] = dx
    cases.append((name, {"inputs": len(xs)}, roles))
write_fixture("concat", cases)
