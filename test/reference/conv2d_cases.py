"""Turns conv2d case rows into fixture cases (forward, dy, dx, dw, db); shared by conv2d.py and conv2d_tiles.py."""
import torch.nn.functional as F
from common import forward_backward, rand


def conv2d_cases(rows, g):
    """rows: (name, (N, Cin, H, W), Cout, (KH, KW), stride, padding, dilation, groups, bias) each."""
    cases = []
    for name, (n, cin, h, w), cout, (kh, kw), stride, padding, dilation, groups, has_bias in rows:
        x = rand(n, cin, h, w, generator=g)
        wt = rand(cout, cin // groups, kh, kw, generator=g) / (cin // groups * kh * kw) ** 0.5
        b = rand(cout, generator=g) if has_bias else None

        def fn(x_, w_, b_, stride=stride, padding=padding, dilation=dilation, groups=groups):
            return F.conv2d(x_, w_, b_, stride=stride, padding=padding, dilation=dilation, groups=groups)

        y, dy, (dx, dw, db) = forward_backward(fn, [x, wt, b], g)
        pair = lambda v: list(v) if isinstance(v, tuple) else v
        attrs = {"stride": pair(stride), "padding": pair(padding), "dilation": pair(dilation), "groups": groups}
        roles = {"x": x, "w": wt, "y": y, "dy": dy, "dx": dx, "dw": dw}
        if has_bias:
            roles.update(b=b, db=db)
        cases.append((name, attrs, roles))
    return cases
