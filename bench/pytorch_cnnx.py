"""CNN-X training throughput in PyTorch on the CPU, the peer the issue names for the software GPU ('PyTorch on the CPU,
same 2 cores'). Same network as src/models/cnnx.ts (CNNX_PAPER: branches 3/5/9/9, 16 filters, BN, ReLU, max/avg pool
2 stride 3, concat, fc 360,000 -> 4), mean cross-entropy, Adam 3e-4, batch 15 at 224x224, one thread per core.
Run with Debian's /usr/bin/python3 (python3-torch): /usr/bin/python3 bench/pytorch_cnnx.py [threads] [steps]."""
import os
import sys
import time

import torch
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.set_num_threads(threads)
torch.manual_seed(0)


class Branch(nn.Module):
    def __init__(self, k, pool):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, k, padding=k // 2)
        self.bn = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2, 3) if pool == 'max' else nn.AvgPool2d(2, 3)

    def forward(self, x):
        return self.pool(torch.relu(self.bn(self.conv(x))))


class CnnX(nn.Module):
    def __init__(self):
        super().__init__()
        self.branches = nn.ModuleList([Branch(3, 'max'), Branch(5, 'avg'), Branch(9, 'max'), Branch(9, 'avg')])
        self.fc = nn.Linear(64 * 75 * 75, 4)

    def forward(self, x):
        return self.fc(torch.flatten(torch.cat([b(x) for b in self.branches], 1), 1))


model = CnnX().train()
assert sum(p.numel() for p in model.parameters()) == 1_443_332
opt = torch.optim.Adam(model.parameters(), lr=3e-4)
x = torch.rand(15, 1, 224, 224)
y = torch.arange(15) % 4
times = []
for s in range(steps + 2):
    t0 = time.perf_counter()
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    if s >= 2:
        times.append(time.perf_counter() - t0)
times.sort()
median = times[len(times) // 2]
print(f'torch {torch.__version__}, {threads} threads: {15 / median:.1f} images/s (median step {median * 1000:.0f} ms of {steps})')
