"""Deterministic weights and inputs from a counter-based hash, bit-identical to test/helpers/hash_weights.ts.

The reference data for whole models would be far over the fixture budget if it held the weights, so both sides
generate them: element i of the k-th state-dict entry (in state_dict order) is drawn from
    h = fmix32(seed ^ (k * 0x9E3779B1) ^ (i * 0x85EBCA77))   (uint32 arithmetic, MurmurHash3's finaliser)
    u = (h >> 8) / 2^23 - 1                                  (uniform in [-1, 1), exact in float32)
and mapped by the entry's role, in float64 and rounded once to float32 (so both languages agree to the bit):
    conv / linear weight  u * sqrt(6 / fan_in)   (He-uniform: keeps activations at scale through ReLU networks)
    bias                  0.1 u
    batch norm weight     1 + 0.1 u              (1-dim "weight")
    running_mean          0.1 u
    running_var           0.5 + 0.5 |u|
    num_batches_tracked   0
"""
import math

import numpy as np
import torch

GOLDEN = 0x9E3779B1
STEP = 0x85EBCA77


def fmix32(h):
    """MurmurHash3's finaliser on a uint32 array (wrapping multiplies)."""
    h = h.astype(np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def hash_uniform(seed, k, n):
    """n values uniform in [-1, 1) (float64, each exactly a float32) of stream k under seed."""
    base = np.uint32((seed ^ ((k * GOLDEN) & 0xFFFFFFFF)) & 0xFFFFFFFF)
    with np.errstate(over="ignore"):
        i = np.arange(n, dtype=np.uint32) * np.uint32(STEP)
        h = fmix32(base ^ i)
    return (h >> np.uint32(8)).astype(np.float64) / float(1 << 23) - 1.0


def entry_values(name, shape, seed, k):
    """Float32 values of state-dict entry k (name and shape decide its role)."""
    n = int(np.prod(shape)) if len(shape) > 0 else 1
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return np.zeros(n, dtype=np.float32)
    u = hash_uniform(seed, k, n)
    if leaf == "running_mean":
        v = 0.1 * u
    elif leaf == "running_var":
        v = 0.5 + 0.5 * np.abs(u)
    elif leaf == "bias":
        v = 0.1 * u
    elif leaf == "weight" and len(shape) == 1:
        v = 1.0 + 0.1 * u
    elif len(shape) >= 2:
        fan_in = shape[1] * int(np.prod(shape[2:]))
        v = u * math.sqrt(6.0 / fan_in)
    else:
        raise ValueError(f"no hash role for {name} {list(shape)}")
    return v.astype(np.float32)


def hashed_state_dict(model, seed):
    """The model's state dict with every entry replaced by its hashed values (dtype and shape kept)."""
    out = {}
    for k, (name, t) in enumerate(model.state_dict().items()):
        values = entry_values(name, tuple(t.shape), seed, k)
        out[name] = torch.from_numpy(values.reshape(tuple(t.shape))).to(t.dtype)
    return out


def hashed_input(seed, shape):
    """An input batch: stream 0 of seed, uniform in [-1, 1)."""
    return torch.from_numpy(hash_uniform(seed, 0, int(np.prod(shape))).astype(np.float32).reshape(shape))
