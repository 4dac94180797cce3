"""Reference data for test/ops/sliced.test.ts: ops on batches that the test's lowered binding limit splits into
slices of several samples, with per-sample sizes that are multiples of 256 bytes (slices bound as byte ranges at
aligned offsets) or not (scratch copies), and a mix of both in one kernel. Every case names its op in attrs."""
import torch
import torch.nn.functional as F
from common import forward_backward, rand, write_fixture

g = torch.Generator().manual_seed(11)
cases = []


def conv_case(name, shape, cout, k, stride, padding, groups, binding_limit=None):
    """A conv2d case; binding_limit: the limit the test lowers bindings to (default: its own rule)."""
    n, cin, h, w = shape
    x = rand(n, cin, h, w, generator=g)
    wt = rand(cout, cin // groups, k, k, generator=g) / (cin // groups * k * k) ** 0.5
    b = rand(cout, generator=g)

    def conv(x_, w_, b_):
        return F.conv2d(x_, w_, b_, stride=stride, padding=padding, groups=groups)

    y, dy, (dx, dw, db) = forward_backward(conv, [x, wt, b], g)
    attrs = {"op": "conv2d", "stride": stride, "padding": padding, "groups": groups}
    if binding_limit is not None:
        attrs["bindingLimit"] = binding_limit
    cases.append((name, attrs, {"x": x, "w": wt, "b": b, "y": y, "dy": dy, "dx": dx, "dw": dw, "db": db}))


# name, (N, Cin, H, W), Cout, K, stride, padding, groups: 1 KiB and 2 KiB samples; 4 KiB depthwise samples;
# 3200-byte x samples (every 2nd slice start aligned) with 1200-byte y samples (never aligned).
conv_case("conv_aligned", (5, 4, 8, 8), 8, 3, 1, 1, 1)
conv_case("conv_depthwise", (5, 16, 8, 8), 16, 3, 1, 1, 16)
conv_case("conv_grouped_mixed", (5, 8, 10, 10), 12, 3, 2, 1, 2)

# batchnorm2d and batchnorm2d_relu, training and eval, on 1 KiB samples.
for relu in (False, True):
    for training in (True, False):
        n, c, h, w = 6, 4, 8, 8
        x = rand(n, c, h, w, generator=g) * 3 + 1
        wt = rand(c, generator=g) + 1.5
        b = rand(c, generator=g)
        rm0 = rand(c, generator=g) * 0.5
        rv0 = rand(c, generator=g) * 0.5 + 1
        rm, rv = rm0.clone(), rv0.clone()

        def bn(x_, w_, b_):
            out = F.batch_norm(x_, rm, rv, w_, b_, training=training, momentum=0.1, eps=1e-5)
            return F.relu(out) if relu else out

        y, dy, (dx, dw, db) = forward_backward(bn, [x, wt, b], g)
        name = f"{'bn_relu' if relu else 'bn'}_{'train' if training else 'eval'}"
        attrs = {"op": "batchnorm2d", "relu": relu, "training": training, "momentum": 0.1, "eps": 1e-5}
        roles = {"x": x, "w": wt, "b": b, "rm0": rm0, "rv0": rv0, "rm1": rm, "rv1": rv, "y": y, "dy": dy, "dx": dx,
                 "dw": dw, "db": db}
        cases.append((name, attrs, roles))

# Pooling: 1 KiB x samples, 256-byte and 1 KiB y samples.
x = rand(5, 4, 8, 8, generator=g)
y, dy, (dx,) = forward_backward(lambda x_: F.max_pool2d(x_, 2, 2), [x], g)
cases.append(("maxpool", {"op": "maxpool2d", "kernel": 2, "stride": 2, "padding": 0},
              {"x": x, "y": y, "dy": dy, "dx": dx}))
x = rand(5, 4, 8, 8, generator=g)
y, dy, (dx,) = forward_backward(lambda x_: F.avg_pool2d(x_, 3, 1, 1), [x], g)
cases.append(("avgpool", {"op": "avgpool2d", "kernel": 3, "stride": 1, "padding": 1},
              {"x": x, "y": y, "dy": dy, "dx": dx}))

# concat: 256-byte and 768-byte input samples into 1 KiB output samples.
x0 = rand(5, 4, 4, 4, generator=g)
x1 = rand(5, 12, 4, 4, generator=g)
y, dy, (dx0, dx1) = forward_backward(lambda a, b: torch.cat([a, b], 1), [x0, x1], g)
cases.append(("concat", {"op": "concat"}, {"x0": x0, "x1": x1, "y": y, "dy": dy, "dx0": dx0, "dx1": dx1}))

# Winograd's intermediates (36 KiB a sample) in chunks of 1 inside batch slices: 16 KiB samples under a 48 KiB limit
# (slices of 3, then 1; chunks at aligned offsets), and 14,400-byte samples under a 64 KiB limit (slices of 4 at
# aligned offsets, then 1; chunks off the 256-byte alignment, so scratch copies).
conv_case("conv_winograd_chunks", (4, 16, 16, 16), 16, 3, 1, 1, 1, binding_limit=48 * 1024)
conv_case("conv_winograd_chunks_unaligned", (5, 16, 15, 15), 16, 3, 1, 1, 1, binding_limit=64 * 1024)

write_fixture("sliced", cases)
