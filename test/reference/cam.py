"""Reference data for class activation maps (test/train/cam.test.ts).

- "cnnx": CNN-X (the paper's four branches, 64 channels) at a 32 x 32 input (feature side S = 11) with fixed random
  weights and batch-norm statistics (the state dict is stored under roles "sd.<name>"), two images x, the logits,
  the CAM of every class (the exact per-location contribution of the flatten + linear head, [N, K, S, S]), and
  Grad-CAM / Grad-CAM++ of the concatenated branches ("branches"), of one branch ("branches.1", class 2) and of a
  convolution before pooling ("branches.2.conv", 32 x 32), all for the predicted class unless an attr says so.
- "gap": a small conv net with a global-average-pooling + linear head: conv1 (1->6, 3x3, pad 1) -> ReLU -> conv2
  (6->8, 3x3, stride 2, pad 1) -> ReLU = features; logits = fc(mean over space). CAM of every class, Grad-CAM of
  "conv2" (its pre-ReLU output) and of the features, Grad-CAM++ of the features.
- "up_*": bilinear resizing of maps [N, h, w] to [N, H, W] with F.interpolate(align_corners=False).
Gradients are torch.autograd.grad of sum_n logit[n, class_n] with respect to the layer's output. Weights and
inputs are rounded to float32 first; everything is computed in float64 from those values.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from common import rand, write_fixture

g = torch.Generator().manual_seed(7)
EPS_PP = 1e-6


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def gradcam(acts, grads):
    alpha = grads.mean(dim=(2, 3))
    return F.relu((alpha[:, :, None, None] * acts).sum(1))


def gradcampp(acts, grads):
    g2 = grads ** 2
    g3 = g2 * grads
    sum_a = acts.sum(dim=(2, 3))[:, :, None, None]
    aij = g2 / (2 * g2 + sum_a * g3 + EPS_PP)
    aij = torch.where(grads != 0, aij, torch.zeros_like(aij))
    weights = (F.relu(grads) * aij).sum(dim=(2, 3))
    return F.relu((weights[:, :, None, None] * acts).sum(1))


def layer_grad(model, x, module, targets, features_method=False):
    """Activations of `module` (or of model.features when features_method) and d sum_n logit[n, t_n] / d them."""
    store = {}
    if features_method:
        original = model.features

        def wrapped(inp):
            out = original(inp)
            store["a"] = out
            return out

        model.features = wrapped
        logits = model(x)
        del model.features
    else:
        handle = module.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
        logits = model(x)
        handle.remove()
    score = logits[torch.arange(x.shape[0]), targets].sum()
    (grad,) = torch.autograd.grad(score, store["a"])
    return store["a"].detach(), grad


class Branch(nn.Module):
    def __init__(self, k, f, pool):
        super().__init__()
        self.conv = nn.Conv2d(1, f, k, padding=k // 2)
        self.bn = nn.BatchNorm2d(f)
        self.pool = nn.MaxPool2d(2, stride=3) if pool == "max" else nn.AvgPool2d(2, stride=3)

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


class CnnX(nn.Module):
    def __init__(self, size, classes):
        super().__init__()
        self.side = (size - 2) // 3 + 1
        self.branches = nn.ModuleList([Branch(3, 16, "max"), Branch(5, 16, "avg"), Branch(9, 16, "max"), Branch(9, 16, "avg")])
        self.fc = nn.Linear(64 * self.side ** 2, classes)

    def features(self, x):
        return torch.cat([b(x) for b in self.branches], 1)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


class TinyGap(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8, classes)

    def features(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


def randomise(model):
    """Random weights and batch-norm statistics (so eval-mode batch norm is not the identity), rounded to f32."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            scale = 1.0 if name.endswith("bn.weight") else 1 / fan_in ** 0.5
            p.copy_(f32(rand(*p.shape, generator=g) * scale + (1.0 if name.endswith("bn.weight") else 0.0)))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(f32(rand(*b.shape, generator=g) * 0.2))
            elif name.endswith("running_var"):
                b.copy_(f32(rand(*b.shape, generator=g) * 0.3 + 1.0))
    return model.double().eval()


def state_roles(model):
    return {f"sd.{k}": v.to(torch.float64) for k, v in model.state_dict().items()}


cases = []

# ---- CNN-X at 32 x 32
cnnx = randomise(CnnX(32, 4))
x = f32(torch.rand(2, 1, 32, 32, generator=g, dtype=torch.float64))
with torch.no_grad():
    logits = cnnx(x)
    feats = cnnx.features(x)
s = cnnx.side
w = cnnx.fc.weight.view(4, 64, s, s)
cam_all = torch.einsum("kcyx,ncyx->nkyx", w, feats)
predicted = logits.argmax(1)
roles = {"x": x, "logits": logits, "cam_all": cam_all, "bias": cnnx.fc.bias}
a, gr = layer_grad(cnnx, x, None, predicted, features_method=True)
roles["gradcam_branches"] = gradcam(a, gr)
roles["gradcampp_branches"] = gradcampp(a, gr)
a, gr = layer_grad(cnnx, x, cnnx.branches[1], torch.tensor([2, 2]))
roles["gradcam_branch1_class2"] = gradcam(a, gr)
a, gr = layer_grad(cnnx, x, cnnx.branches[2].conv, predicted)
roles["gradcam_branch2_conv"] = gradcam(a, gr)
roles["gradcampp_branch2_conv"] = gradcampp(a, gr)
roles.update(state_roles(cnnx))
cases.append(("cnnx", {"inputSize": 32, "classes": 4, "side": s, "predicted": predicted.tolist(), "stateKeys": list(cnnx.state_dict().keys())}, roles))

# ---- a GAP head
gap = randomise(TinyGap(3))
x = f32(torch.rand(3, 1, 12, 12, generator=g, dtype=torch.float64))
with torch.no_grad():
    logits = gap(x)
    feats = gap.features(x)
cam_all = torch.einsum("kc,ncyx->nkyx", gap.fc.weight, feats)
predicted = logits.argmax(1)
roles = {"x": x, "logits": logits, "cam_all": cam_all, "bias": gap.fc.bias}
a, gr = layer_grad(gap, x, gap.conv2, predicted)
roles["gradcam_conv2"] = gradcam(a, gr)
a, gr = layer_grad(gap, x, None, predicted, features_method=True)
roles["gradcam_features"] = gradcam(a, gr)
roles["gradcampp_features"] = gradcampp(a, gr)
roles.update(state_roles(gap))
cases.append(("gap", {"classes": 3, "predicted": predicted.tolist(), "stateKeys": list(gap.state_dict().keys())}, roles))

# ---- bilinear upsampling
for name, (n, h, w_), (oh, ow) in [
    ("up_7_to_32", (2, 7, 7), (32, 32)),
    ("up_cnnx64", (1, 21, 21), (64, 64)),
    ("up_odd", (1, 5, 3), (17, 29)),
    ("down", (2, 9, 9), (4, 4)),
    ("same", (1, 6, 6), (6, 6)),
    ("one_pixel", (1, 1, 1), (5, 7)),
]:
    m = f32(rand(n, h, w_, generator=g))
    y = F.interpolate(m[:, None], size=(oh, ow), mode="bilinear", align_corners=False)[:, 0]
    cases.append((name, {"out": [oh, ow]}, {"x": m, "y": y}))

write_fixture("cam", cases)
