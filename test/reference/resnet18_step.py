"""Reference data for one training step of ResNet-18, for test/models/resnet18_step.test.ts.

Run with Debian's PyTorch:  /usr/bin/python3 test/reference/resnet18_step.py
torchvision 0.14's resnet18 with a 4-class head, hashed weights and input (hash_weights.py, which the TypeScript
test reproduces to the bit), train mode (batch statistics; running statistics updated), mean softmax cross-entropy,
then one torch.optim.Adam step at the paper's lr 3e-4, all in float64.

The 11.2 M parameters' gradients and updates are far over the fixture budget, so the fixture holds a digest that
still touches every parameter tensor, and every element of it through per-channel aggregates:
    logits, loss, labels;
    after.<bn>.running_mean / running_var        in full (num_batches_tracked is 1 after the step);
    per parameter, with numel <= FULL_LIMIT       grad.<name>, update.<name> (new - old) in full;
    per larger parameter (the conv weights)       idx.<name>: SAMPLES positions (seeded, sorted), with grad.<name>
                                                  and update.<name> at those positions; and per output channel c
                                                  (dim 0): grad_norm.<name>[c] = ||g[c]||, update_norm.<name>[c] =
                                                  ||update[c]||, grad_proj.<name>[c] = sum_j r[c, j] g[c, j] with r
                                                  = hash_uniform(PROJ_SEED, k, numel) (k: the entry's index in the
                                                  state dict), which the test regenerates.
The update of Adam's first step is -lr * g / (|g| + eps): about lr * sign(g), so the norms and projections of the
gradient carry the information the sign hides, and the update is checked elementwise where it is stored.
"""
import os
import sys

import numpy as np
import torch
import torchvision.models as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import write_fixture  # noqa: E402
from hash_weights import hash_uniform, hashed_input, hashed_state_dict  # noqa: E402

WEIGHT_SEED = 1234
INPUT_SEED = 4321
PROJ_SEED = 99
SAMPLE_SEED = 5
NUM_CLASSES = 4
SHAPE = (3, 3, 64, 64)
LABELS = [1, 3, 0]
LR = 3e-4
FULL_LIMIT = 4096
SAMPLES = 256


def main():
    torch.manual_seed(0)
    model = tvm.resnet18(num_classes=NUM_CLASSES)
    model.load_state_dict(hashed_state_dict(model, WEIGHT_SEED))
    model = model.double().train()
    keys = list(model.state_dict().keys())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = hashed_input(INPUT_SEED, SHAPE).double()
    labels = torch.tensor(LABELS)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    opt.step()
    after = model.state_dict()

    roles = {"logits": logits, "loss": loss.reshape(1), "labels": labels.double()}
    sampler = torch.Generator().manual_seed(SAMPLE_SEED)
    full = sampled = 0
    for k, name in enumerate(keys):
        if name.endswith("running_mean") or name.endswith("running_var"):
            roles[f"after.{name}"] = after[name]
            continue
        if name.endswith("num_batches_tracked"):
            assert after[name].item() == 1
            continue
        g = grads[name].flatten()
        update = (after[name] - before[name]).flatten()
        n = g.numel()
        if n <= FULL_LIMIT:
            roles[f"grad.{name}"] = g
            roles[f"update.{name}"] = update
            full += 1
            continue
        idx = torch.randperm(n, generator=sampler)[:SAMPLES].sort().values
        roles[f"idx.{name}"] = idx.double()
        roles[f"grad.{name}"] = g[idx]
        roles[f"update.{name}"] = update[idx]
        rows = grads[name].shape[0]
        r = torch.from_numpy(hash_uniform(PROJ_SEED, k, n)).reshape(rows, -1)
        g2, u2 = grads[name].reshape(rows, -1), update.reshape(rows, -1)
        roles[f"grad_norm.{name}"] = g2.norm(dim=1)
        roles[f"grad_proj.{name}"] = (r * g2).sum(dim=1)
        roles[f"update_norm.{name}"] = u2.norm(dim=1)
        sampled += 1

    attrs = {"inputShape": list(SHAPE), "weightSeed": WEIGHT_SEED, "inputSeed": INPUT_SEED, "numClasses": NUM_CLASSES,
             "lr": LR, "projSeed": PROJ_SEED, "fullLimit": FULL_LIMIT, "samples": SAMPLES}
    small = sum(1 for v in grads.values() if v.numel() <= FULL_LIMIT and v.abs().min() < 1e-6)
    print(f"loss {loss.item():.6f}; {full} parameters in full, {sampled} sampled; "
          f"{small} small ones have an element with |grad| < 1e-6; "
          f"smallest |grad| overall {min(v.abs().min().item() for v in grads.values()):.3g}")
    write_fixture("resnet18_step", [("step", attrs, roles)])


if __name__ == "__main__":
    torch.set_num_threads(os.cpu_count() or 1)
    main()
