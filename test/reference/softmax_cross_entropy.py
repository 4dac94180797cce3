"""Reference data for softmax_cross_entropy: the mean loss (shape []), its gradient for the logits, and the softmax.

Includes large logits (around +-80, where a naive exp overflows float32) to check the max-subtracted log-sum-exp,
a single class, and a batch-of-one case. Labels are stored as float32 class indices.
"""
import torch
import torch.nn.functional as F
from common import rand, write_fixture

g = torch.Generator().manual_seed(4)
cases = []
for name, (n, c), scale in [
    ("cnnx", (15, 4), 3.0),
    ("odd", (7, 13), 2.0),
    ("large_logits", (6, 5), 80.0),
    ("one_class", (3, 1), 1.0),
    ("one_row", (1, 9), 4.0),
    ("many_classes", (5, 1000), 5.0),
]:
    x = rand(n, c, generator=g) * scale
    if name == "large_logits":
        x[0, :] = torch.tensor([80.0, 79.5, -80.0, 10.0, 80.0])
        x[1, :] = torch.tensor([-80.0, -79.0, -80.0, -78.0, -80.0])
    labels = torch.randint(0, c, (n,), generator=g)
    leaf = x.clone().requires_grad_(True)
    loss = F.cross_entropy(leaf, labels)
    dy = rand(1, generator=g).reshape(())  # common.forward_backward cannot draw a 0-d dy
    loss.backward(dy)
    dx = leaf.grad
    probs = torch.softmax(x, dim=1)
    cases.append((name, {}, {"x": x, "labels": labels.to(torch.float64), "y": loss, "dy": dy, "dx": dx, "probs": probs}))
write_fixture("softmax_cross_entropy", cases)
