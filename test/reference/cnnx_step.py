"""Reference data for CNN-X end to end: forward logits (train-mode batch norm) and one Adam step from given weights.

The model (cnnx_model.py) is the paper's layout at a small input (32x32, 4 classes).
"""
import torch
from torch import nn
from cnnx_model import CnnX
from common import write_fixture

torch.manual_seed(11)

model = CnnX(32, 4).double()
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("bn.weight"):
            p.uniform_(0.5, 1.5)
        elif name.endswith("bn.bias"):
            p.uniform_(-0.2, 0.2)
before = {k: v.clone() for k, v in model.state_dict().items()}
x = torch.rand(5, 1, 32, 32, dtype=torch.float64)
labels = torch.tensor([0, 3, 1, 2, 3])
opt = torch.optim.Adam(model.parameters(), lr=3e-4)
model.train()
logits = model(x)
loss = nn.functional.cross_entropy(logits, labels)
opt.zero_grad()
loss.backward()
opt.step()
after = model.state_dict()

roles = {"x": x, "labels": labels.double(), "logits": logits, "loss": loss.reshape(1)}
for k, v in before.items():
    roles[f"before.{k}"] = v.double()
for k, v in after.items():
    roles[f"after.{k}"] = v.double()
write_fixture("cnnx_step", [("c0", {"inputSize": 32, "lr": 3e-4}, roles)])
