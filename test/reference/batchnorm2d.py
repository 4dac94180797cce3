"""Reference data for batchnorm2d (torch.nn.functional.batch_norm, NCHW): forward y, the running statistics before
and after (updated in place in training mode), and dx, dw, db for a random dy. Cases cover training and eval,
batch > 1 and 1, odd H/W, channel counts not multiples of 4, eps 1e-3 and 1e-5, momentum 0.1 and 0.3, affine=False
(no w/b tensors), 1x1 planes, and a large nonzero mean (100) that a naive E[x^2] - E[x]^2 in float32 would ruin.
Inputs are rounded to float32 first and everything is computed in float64 from those values.
"""
import torch
import torch.nn.functional as F
from common import rand, write_fixture

g = torch.Generator().manual_seed(3)


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def case(name, shape, training, momentum=0.1, eps=1e-5, affine=True, offset=0.0, spread=1.0):
    n, c, h, w = shape
    x = f32(rand(*shape, generator=g) * spread + offset)
    weight = f32(rand(c, generator=g) + 1.5 * torch.sign(rand(c, generator=g))) if affine else None
    bias = f32(rand(c, generator=g)) if affine else None
    rm0 = f32(rand(c, generator=g) * 0.5)
    rv0 = f32(rand(c, generator=g) * 0.4 + 1.0)
    dy = f32(rand(*shape, generator=g))

    xl = x.clone().requires_grad_(True)
    wl = weight.clone().requires_grad_(True) if affine else None
    bl = bias.clone().requires_grad_(True) if affine else None
    rm, rv = rm0.clone(), rv0.clone()
    y = F.batch_norm(xl, rm, rv, wl, bl, training=training, momentum=momentum, eps=eps)
    y.backward(dy)

    roles = {"x": x, "rm0": rm0, "rv0": rv0, "y": y, "dy": dy, "dx": xl.grad, "rm1": rm, "rv1": rv}
    if affine:
        roles.update({"w": weight, "b": bias, "dw": wl.grad, "db": bl.grad})
    attrs = {"training": training, "momentum": momentum, "eps": eps, "affine": affine}
    return (name, attrs, roles)


cases = [
    case("train_basic", (2, 3, 5, 7), True),
    case("train_odd", (3, 5, 7, 9), True, momentum=0.3, eps=1e-3),
    case("train_noaffine", (4, 6, 3, 5), True, affine=False),
    case("train_batch1", (1, 4, 6, 6), True, momentum=0.3),
    case("train_1x1", (5, 7, 1, 1), True),
    case("train_large_mean", (2, 3, 33, 31), True, offset=100.0),
    case("eval_basic", (2, 3, 5, 7), False),
    case("eval_odd", (3, 5, 7, 9), False, momentum=0.3, eps=1e-3),
    case("eval_noaffine", (2, 6, 4, 5), False, affine=False),
    case("eval_large_mean", (2, 3, 9, 11), False, offset=0.4, spread=50.0),
]
write_fixture("batchnorm2d", cases)
