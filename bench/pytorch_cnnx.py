"""CNN-X training throughput in PyTorch on the CPU, the peer the issue names for the software GPU ('PyTorch on the CPU,
same 2 cores'). Same network as src/models/cnnx.ts (test/reference/cnnx_model.py: branches 3/5/9/9, 16 filters, BN, ReLU,
max/avg pool 2 stride 3, concat, fc 360,000 -> 4), mean cross-entropy, Adam 3e-4, batch 15 at 224x224, one thread per core.
Run with Debian's /usr/bin/python3 (python3-torch): /usr/bin/python3 bench/pytorch_cnnx.py [threads] [steps]."""
import os
import sys
import time

import torch
from torch import nn

# The reference network the CNN-X tests are generated with: one definition.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "reference"))
from cnnx_model import CnnX  # noqa: E402

threads = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.set_num_threads(threads)
torch.manual_seed(0)

model = CnnX(224, 4).train()
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
