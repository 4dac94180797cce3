"""Shared by the reference-data scripts: seeded random inputs and a writer of safetensors fixtures.

Each op script writes test/fixtures/<op>.safetensors holding, for every case, tensors named "<case>.<role>"
(x, w, b, y, dy, dx, dw, db, ...) and, in the metadata, "cases": a JSON list of {"name", "attrs"} describing the
hyper-parameters. Run with Debian's PyTorch: /usr/bin/python3 test/reference/<op>.py (or make_all.sh).
"""
import json
import os
import struct

import torch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
MAX_FIXTURE_BYTES = 1 << 20

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def rand(*shape, generator):
    """Uniform in [-1, 1): never zeros, and well away from degenerate inputs."""
    return torch.rand(tuple(shape), generator=generator, dtype=torch.float64) * 2 - 1


def write_fixture(op, cases):
    """cases: list of (name, attrs dict, {role: tensor}). Tensors are stored as float32, row-major."""
    tensors = {}
    meta = []
    for name, attrs, roles in cases:
        meta.append({"name": name, "attrs": attrs})
        for role, t in roles.items():
            tensors[f"{name}.{role}"] = t.detach().to(torch.float32).contiguous()
    header = {"__metadata__": {"cases": json.dumps(meta), "generator": f"test/reference/{op}.py"}}
    offset = 0
    blobs = []
    for key, t in tensors.items():
        data = t.numpy().tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path = os.path.join(FIXTURES, f"{op}.safetensors")
    total = 8 + len(text) + offset
    if total > MAX_FIXTURE_BYTES:
        raise SystemExit(f"{path}: {total} bytes is over the 1 MiB fixture budget; use smaller cases")
    os.makedirs(FIXTURES, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    print(f"wrote {os.path.relpath(path)} ({total} bytes, {len(cases)} cases)")


def forward_backward(fn, inputs, generator):
    """Runs fn on float64 copies of inputs, backpropagates a random dy; returns (y, dy, grads per input)."""
    leaves = [t.clone().requires_grad_(True) if t is not None else None for t in inputs]
    y = fn(*leaves)
    dy = rand(*y.shape, generator=generator)
    y.backward(dy)
    return y, dy, [t.grad if t is not None else None for t in leaves]
