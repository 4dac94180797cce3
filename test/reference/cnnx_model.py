"""CNN-X in PyTorch, the paper's layout with the parameter names cnnx uses (branches.{i}.conv/bn, fc): the reference
network of cnnx_step.py and the PyTorch peer of bench/pytorch_cnnx.py."""
import torch
from torch import nn


class Branch(nn.Module):
    def __init__(self, k, pool):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, k, padding=k // 2)
        self.bn = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2, 3) if pool == "max" else nn.AvgPool2d(2, 3)

    def forward(self, x):
        return self.pool(torch.relu(self.bn(self.conv(x))))


class CnnX(nn.Module):
    def __init__(self, size, classes):
        super().__init__()
        self.branches = nn.ModuleList([Branch(3, "max"), Branch(5, "avg"), Branch(9, "max"), Branch(9, "avg")])
        side = (size - 2) // 3 + 1
        self.fc = nn.Linear(64 * side * side, classes)

    def forward(self, x):
        return self.fc(torch.cat([b(x) for b in self.branches], 1).flatten(1))
