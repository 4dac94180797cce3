"""Reference data for add_relu (y = relu(a + b), a residual block's end): forward and both input gradients, on
odd sizes with sums of both signs."""
import torch
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(12)
cases = []
for name, shape in [("c0", (2, 3, 5, 7)), ("c1", (3, 17)), ("c2", (1, 6, 4, 4))]:
    a, b = rand(*shape, generator=g), rand(*shape, generator=g)
    y, dy, (da, db) = forward_backward(lambda a, b: torch.relu(a + b), [a, b], g)
    cases.append((name, {}, {"a": a, "b": b, "y": y, "dy": dy, "da": da, "db": db}))
write_fixture("add_relu", cases)
