"""Reference data for concat_pool2d: torch.cat([pool_i(x_i)], 1) forward and every input's gradient, the pools
max_pool2d / avg_pool2d with the options the standalone ops take, optionally after relu(batch_norm(x_i)). Cases:
CNN-X's branch ends (kernel 2, stride 3, W a multiple of 8 so the fast kernel variants run, max-pool ties), inputs
of different sizes and channel counts pooled to one size by padded, dilated, ceil-mode and count_include_pad=False
pools (the direct variants), and CNN-X's batch norm + ReLU + pool + concat in training mode (weight and bias
gradients, running statistics) and in eval mode, some inputs without the batch norm."""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(5)


def pool_fn(spec):
    o = spec["options"]
    if spec["op"] == "maxpool2d":
        return lambda t: F.max_pool2d(t, o["kernel"], o["stride"], o.get("padding", 0), o.get("dilation", 1),
                                      o.get("ceilMode", False))
    return lambda t: F.avg_pool2d(t, o["kernel"], o["stride"], o.get("padding", 0), o.get("ceilMode", False),
                                  o.get("countIncludePad", True))


def case(name, shapes, pools, ties=False):
    xs = [rand(*s, generator=g) for s in shapes]
    if ties:
        xs = [torch.round(x * 2) / 2 for x in xs]
    fns = [pool_fn(p) for p in pools]
    y, dy, grads = forward_backward(lambda *ts: torch.cat([f(t) for f, t in zip(fns, ts)], 1), xs, g)
    roles = {"y": y, "dy": dy}
    for i, (x, dx) in enumerate(zip(xs, grads)):
        roles[f"x{i}"] = x
        roles[f"dx{i}"] = dx
    return (name, {"pools": pools}, roles)


def bn_case(name, shapes, pools, with_bn, training, momentum=0.1, eps=1e-5):
    """Inputs with_bn[i] go through relu(batch_norm(x, rm, rv, w, b)) before their pool; the running statistics
    rm, rv are updated in place in training mode (roles rm{i}/rv{i} before, rm{i}_after/rv{i}_after)."""
    f32 = lambda t: t.to(torch.float32).to(torch.float64)
    roles = {}
    leaves = []
    running = []
    for i, (s, bn) in enumerate(zip(shapes, with_bn)):
        x = f32(rand(*s, generator=g) * 2 + 0.3)
        roles[f"x{i}"] = x
        leaves.append(x.clone().requires_grad_(True))
        if bn:
            c = s[1]
            w = f32(rand(c, generator=g) + 1.5 * torch.sign(rand(c, generator=g)))
            b = f32(rand(c, generator=g) * 0.5)
            rm, rv = f32(rand(c, generator=g) * 0.5), f32(rand(c, generator=g) * 0.4 + 1.0)
            roles.update({f"w{i}": w, f"b{i}": b, f"rm{i}": rm.clone(), f"rv{i}": rv.clone()})
            running.append((rm, rv))
            leaves += [w.clone().requires_grad_(True), b.clone().requires_grad_(True)]
        else:
            running.append(None)
    outs = []
    k = 0
    for i, (pool, bn) in enumerate(zip(pools, with_bn)):
        x = leaves[k]
        if bn:
            rm, rv = running[i]
            x = torch.relu(F.batch_norm(x, rm, rv, leaves[k + 1], leaves[k + 2], training=training, momentum=momentum,
                                        eps=eps))
        outs.append(pool_fn(pool)(x))
        k += 3 if bn else 1
    y = torch.cat(outs, 1)
    dy = f32(rand(*y.shape, generator=g))
    y.backward(dy)
    roles.update({"y": y, "dy": dy})
    k = 0
    for i, bn in enumerate(with_bn):
        roles[f"dx{i}"] = leaves[k].grad
        if bn:
            roles.update({f"dw{i}": leaves[k + 1].grad, f"db{i}": leaves[k + 2].grad,
                          f"rm{i}_after": running[i][0], f"rv{i}_after": running[i][1]})
        k += 3 if bn else 1
    attrs = {"pools": pools, "bn": with_bn, "training": training, "momentum": momentum, "eps": eps}
    return (name, attrs, roles)


k2s3 = {"kernel": 2, "stride": 3}
cases = [
    case("cnnx_branches", [(2, 3, 17, 24), (2, 2, 17, 24), (2, 4, 17, 24), (2, 1, 17, 24)],
         [{"op": "maxpool2d", "options": k2s3}, {"op": "avgpool2d", "options": k2s3},
          {"op": "maxpool2d", "options": k2s3}, {"op": "avgpool2d", "options": k2s3}], ties=True),
    case("mixed_sizes", [(3, 2, 9, 9), (3, 3, 18, 18), (3, 1, 13, 13), (3, 2, 16, 16)],
         [{"op": "maxpool2d", "options": {"kernel": 3, "stride": 1, "padding": 1}},
          {"op": "avgpool2d", "options": {"kernel": 2, "stride": 2}},
          {"op": "maxpool2d", "options": {"kernel": 3, "stride": 1, "dilation": 2}},
          {"op": "avgpool2d", "options": {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": True,
                                          "countIncludePad": False}}]),
    bn_case("cnnx_bn_relu_train", [(3, 4, 17, 24), (3, 3, 17, 24), (3, 2, 17, 24)],
            [{"op": "maxpool2d", "options": k2s3}, {"op": "avgpool2d", "options": k2s3},
             {"op": "maxpool2d", "options": k2s3}], [True, True, False], training=True),
    bn_case("cnnx_bn_relu_eval", [(2, 3, 11, 16), (2, 2, 11, 16)],
            [{"op": "maxpool2d", "options": k2s3}, {"op": "avgpool2d", "options": k2s3}], [True, True], training=False),
    bn_case("bn_relu_eval_direct", [(2, 3, 9, 9), (2, 2, 18, 18)],
            [{"op": "maxpool2d", "options": {"kernel": 3, "stride": 1, "padding": 1}},
             {"op": "avgpool2d", "options": {"kernel": 2, "stride": 2}}], [True, True], training=False,
            momentum=0.3, eps=1e-3),
    # Disjoint windows at strides 2 and 4 (the pooled gradient's quads then touch 3 and 2 windows), training.
    bn_case("bn_relu_train_stride2_4", [(2, 3, 10, 16), (2, 2, 10, 16), (2, 2, 19, 32)],
            [{"op": "maxpool2d", "options": {"kernel": 2, "stride": 2}},
             {"op": "avgpool2d", "options": {"kernel": 2, "stride": 2}},
             {"op": "maxpool2d", "options": {"kernel": 3, "stride": 4}}], [True, True, True], training=True),
]
write_fixture("concat_pool2d", cases)
