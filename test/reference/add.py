"""Reference data for add (y = a + alpha * b): forward and both input gradients."""
import torch
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(2)
cases = []
for name, shape, alpha in [("c0", (2, 3, 5, 7), 1.0), ("c1", (3, 17), 0.17), ("c2", (1, 5, 3, 3), -2.5)]:
    a, b = rand(*shape, generator=g), rand(*shape, generator=g)
    y, dy, (da, db) = forward_backward(lambda a, b: a + alpha * b, [a, b], g)
    cases.append((name, {"alpha": alpha}, {"a": a, "b": b, "y": y, "dy": dy, "da": da, "db": db}))
write_fixture("add", cases)
