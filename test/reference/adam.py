"""Reference data for Adam: torch.optim.Adam run for 10 steps on odd-sized parameters with fixed gradients.

Cases: "plain" (lr 1e-2, betas (0.9, 0.999), eps 1e-8), "decay" (the same with weight_decay 0.01), "skip"
(weight_decay 0.01; parameter 1 has no gradient at steps 3 and 7, so PyTorch skips it and its own step count, hence
its bias correction, falls behind), and "vec4" (as "skip", with sizes that are multiples of 4). Per case: p<i>
(initial values), g<i>.<k> (gradient of step k, absent when skipped), and after the last step p<i>.final, m<i>
(exp_avg), v<i> (exp_avg_sq). Computed in float64 from the float32-rounded inputs the test uploads.
"""
import torch
from common import write_fixture

SHAPES = [(7, 3, 5), (13,), (4, 6), (1,)]
STEPS = 10
g = torch.Generator().manual_seed(3)


def f32(t):
    return t.to(torch.float32).to(torch.float64)


cases = []
# "vec4": sizes that are all multiples of 4, so the four go through adam.step_4_1_vec4 (a lone one adam.step_1_vec4).
VEC4_SHAPES = [(4, 3, 8), (8,), (2, 6), (4,)]
CASES = [("plain", 0.0, {}, SHAPES), ("decay", 0.01, {}, SHAPES), ("skip", 0.01, {1: [2, 6]}, SHAPES),
         ("vec4", 0.01, {1: [2, 6]}, VEC4_SHAPES)]
for name, wd, skip, shapes in CASES:
    params = [f32(torch.randn(*s, generator=g, dtype=torch.float64)).requires_grad_(True) for s in shapes]
    # Gradients of varied scale per step, as training sees.
    grads = [[f32(torch.randn(*s, generator=g, dtype=torch.float64) * (0.1 + k / 5)) for k in range(STEPS)]
             for s in shapes]
    roles = {f"p{i}": p.detach().clone() for i, p in enumerate(params)}
    opt = torch.optim.Adam(params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    for k in range(STEPS):
        for i, p in enumerate(params):
            if k in skip.get(i, []):
                p.grad = None
            else:
                p.grad = grads[i][k].clone()
                roles[f"g{i}.{k}"] = grads[i][k]
        opt.step()
    for i, p in enumerate(params):
        state = opt.state[p]
        roles[f"p{i}.final"] = p.detach()
        roles[f"m{i}"] = state["exp_avg"]
        roles[f"v{i}"] = state["exp_avg_sq"]
    attrs = {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": wd, "steps": STEPS,
             "shapes": [list(s) for s in shapes], "skip": {str(i): ks for i, ks in skip.items()}}
    cases.append((name, attrs, roles))
write_fixture("adam", cases)
