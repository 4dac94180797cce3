"""Reference data for linear (y = x w^T + b, PyTorch layout): forward and the gradients of x, w and b.

Odd sizes, K not a multiple of 4, a case without bias, K a multiple of 4 (dx and dw move vec4s), many output
features (the forward runs the columns variant), and a long-K case (K = 16,001, small N and M to stay in the
fixture budget) that takes the split-K path.
"""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(3)
cases = []
for name, (n, k, m), bias in [
    ("c0", (3, 5, 4), True),
    ("c1", (7, 37, 13), True),
    ("c2", (5, 19, 3), False),
    ("c3", (1, 1, 1), True),
    ("c4", (15, 130, 33), True),
    ("c5", (17, 70, 20), False),
    ("k_vec4", (15, 64, 4), True),
    ("wide", (2, 33, 1030), True),
    ("long_k", (3, 16001, 2), True),
]:
    x = rand(n, k, generator=g)
    w = rand(m, k, generator=g) / k ** 0.5
    b = rand(m, generator=g) if bias else None
    y, dy, (dx, dw, db) = forward_backward(F.linear, [x, w, b], g)
    roles = {"x": x, "w": w, "y": y, "dy": dy, "dx": dx, "dw": dw}
    if bias:
        roles.update(b=b, db=db)
    cases.append((name, {"bias": bias}, roles))
write_fixture("linear", cases)
