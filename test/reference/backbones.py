"""Reference logits of the paper's 12 ImageNet backbones, for test/models/backbones.test.ts.

Run with Debian's PyTorch:  /usr/bin/python3 test/reference/backbones.py
Each model is torchvision 0.14's (or, for xception and inception_resnet_v2, the transcription of timm's in
timm_models.py) with a 4-class head. Its weights and input come from the hash generator (hash_weights.py), which
the TypeScript test reproduces to the bit, so only the expected outputs are stored: test/fixtures/backbones/<name>
.safetensors holds, per case, the logits "y" (and aux heads' outputs), with the input shape and seeds in the case
attributes. Forwards run in eval mode in float64, so the reference carries no float32 rounding of its own.

Also written: hash_check (hashed values of a small state dict, for the cross-language check), densenet_tiny (a
tiny torchvision DenseNet saved as a .pth with pre-0.4 key names and no num_batches_tracked, as torchvision's
DenseNet file is, and its logits), densenet_tiny_step (a tiny DenseNet's training-mode gradients, every parameter's in
full: the dense blocks' concatenations in backward), and the parameter counts of the 1000-class models are printed.
"""
import os
import sys

import torch
import torchvision.models as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import FIXTURES, write_fixture  # noqa: E402
from hash_weights import hash_uniform, hashed_input, hashed_state_dict  # noqa: E402
import timm_models  # noqa: E402

WEIGHT_SEED = 1234
INPUT_SEED = 4321
AUX_INPUT_SEED = 777
NUM_CLASSES = 4
BATCH = 2

# name -> (builder of the 4-class model, test input side, options the TypeScript model is built with). Sides are
# small to keep the software-GPU test short, yet leave the last feature maps wider than 1x1 where the cost allows
# (vgg19 at 32 ends at 1x1; vgg16 at 64 covers VGG's 2x2 -> 7x7 adaptive pool).
MODELS = {
    "alexnet": (lambda: tvm.alexnet(num_classes=NUM_CLASSES), 64, {}),
    "vgg16": (lambda: tvm.vgg16(num_classes=NUM_CLASSES), 64, {}),
    "vgg19": (lambda: tvm.vgg19(num_classes=NUM_CLASSES), 32, {}),
    "resnet18": (lambda: tvm.resnet18(num_classes=NUM_CLASSES), 64, {}),
    "resnet50": (lambda: tvm.resnet50(num_classes=NUM_CLASSES), 64, {}),
    "resnet101": (lambda: tvm.resnet101(num_classes=NUM_CLASSES), 64, {}),
    "googlenet": (
        lambda: tvm.googlenet(num_classes=NUM_CLASSES, aux_logits=True, transform_input=True, init_weights=False),
        64,
        {"aux": True, "transformInput": True},
    ),
    "inception_v3": (
        lambda: tvm.inception_v3(num_classes=NUM_CLASSES, aux_logits=True, transform_input=True, init_weights=False),
        107,
        {"aux": True, "transformInput": True},
    ),
    "squeezenet1_0": (lambda: tvm.squeezenet1_0(num_classes=NUM_CLASSES), 64, {}),
    "squeezenet1_1": (lambda: tvm.squeezenet1_1(num_classes=NUM_CLASSES), 64, {}),
    "densenet201": (lambda: tvm.densenet201(num_classes=NUM_CLASSES), 64, {}),
    "xception": (lambda: timm_models.Xception(num_classes=NUM_CLASSES), 71, {}),
    "inception_resnet_v2": (lambda: timm_models.InceptionResnetV2(num_classes=NUM_CLASSES), 107, {}),
}

# The 1000-class models as their builders make them without weights (googlenet as its pretrained builder leaves
# it, without aux heads; inception_v3 keeps its AuxLogits, as torchvision's pretrained builder does by default).
PARAM_COUNT_MODELS = {
    "alexnet": lambda: tvm.alexnet(),
    "vgg16": lambda: tvm.vgg16(),
    "vgg19": lambda: tvm.vgg19(),
    "resnet18": lambda: tvm.resnet18(),
    "resnet50": lambda: tvm.resnet50(),
    "resnet101": lambda: tvm.resnet101(),
    "googlenet": lambda: tvm.googlenet(aux_logits=False, init_weights=False),
    "googlenet+aux": lambda: tvm.googlenet(aux_logits=True, init_weights=False),
    "inception_v3": lambda: tvm.inception_v3(aux_logits=False, init_weights=False),
    "inception_v3+aux": lambda: tvm.inception_v3(aux_logits=True, init_weights=False),
    "squeezenet1_0": lambda: tvm.squeezenet1_0(),
    "squeezenet1_1": lambda: tvm.squeezenet1_1(),
    "densenet201": lambda: tvm.densenet201(),
    "xception": lambda: timm_models.Xception(),
    "inception_resnet_v2": lambda: timm_models.InceptionResnetV2(),
}


def attrs_of(name, shape, options):
    return {"model": name, "inputShape": list(shape), "weightSeed": WEIGHT_SEED, "inputSeed": INPUT_SEED,
            "numClasses": NUM_CLASSES, "options": options}


def capture(module):
    """Records the output of `module` at the next forward."""
    box = {}
    module.register_forward_hook(lambda _m, _i, out: box.__setitem__("y", out))
    return box


def reference(name):
    build, side, options = MODELS[name]
    torch.manual_seed(0)
    model = build()
    model.load_state_dict(hashed_state_dict(model, WEIGHT_SEED))
    model = model.double().eval()
    shape = (BATCH, 3, side, side)
    x = hashed_input(INPUT_SEED, shape).double()
    roles = {}
    cases = []
    with torch.no_grad():
        if name == "googlenet":
            tap1, tap2 = capture(model.inception4a), capture(model.inception4d)
            roles["y"] = model(x)
            roles["aux1"] = model.aux1(tap1["y"])
            roles["aux2"] = model.aux2(tap2["y"])
        else:
            roles["y"] = model(x)
        cases.append(("eval", attrs_of(name, shape, options), roles))
        if name == "inception_v3":
            # The aux head needs Mixed_6e at 17x17 (a 299 input): checked alone on an input of that size.
            aux_shape = (1, 768, 17, 17)
            aux_x = hashed_input(AUX_INPUT_SEED, aux_shape).double()
            aux_attrs = {"inputShape": list(aux_shape), "inputSeed": AUX_INPUT_SEED}
            cases.append(("aux_head", aux_attrs, {"y": model.AuxLogits(aux_x)}))
    y = roles["y"]
    print(f"{name:22s} input {side:3d}  logits std {y.std().item():.3g}  first {y[0].tolist()}")
    write_fixture(f"backbones/{name}", cases)


def hash_check():
    """Hashed state dict of a small module (conv, batch norm, linear) and the first input values."""
    torch.manual_seed(0)
    small = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Linear(5, 6))
    sd = hashed_state_dict(small, WEIGHT_SEED)
    roles = {f"sd.{k}": v.float() for k, v in sd.items()}
    roles["input"] = hashed_input(INPUT_SEED, (64,))
    roles["stream"] = torch.from_numpy(hash_uniform(0xDEADBEEF, 123456789, 16))
    write_fixture("backbones/hash_check", [("small", {"weightSeed": WEIGHT_SEED, "inputSeed": INPUT_SEED}, roles)])


DENSENET_TINY = {"growth_rate": 4, "block_config": (2, 2, 2, 2), "num_init_features": 8, "bn_size": 2}


def densenet_tiny_legacy():
    """A torchvision DenseNet saved as old torchvision DenseNet files are: "norm.1" names, no num_batches_tracked."""
    torch.manual_seed(0)
    model = tvm.DenseNet(**DENSENET_TINY, num_classes=NUM_CLASSES)
    sd = hashed_state_dict(model, WEIGHT_SEED)
    model.load_state_dict(sd)
    legacy = {}
    for key, value in sd.items():
        if key.endswith("num_batches_tracked"):
            continue
        for old in ("norm1", "relu1", "conv1", "norm2", "relu2", "conv2"):
            key = key.replace(f".{old}.", f".{old[:-1]}.{old[-1]}.") if ".denselayer" in key else key
        legacy[key] = value
    path = os.path.join(FIXTURES, "backbones", "densenet_tiny_legacy.pth")
    torch.save(legacy, path)
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes, {len(legacy)} tensors)")
    model = model.double().eval()
    shape = (BATCH, 3, 32, 32)
    with torch.no_grad():
        y = model(hashed_input(INPUT_SEED, shape).double())
    attrs = {"inputShape": list(shape), "inputSeed": INPUT_SEED, "numClasses": NUM_CLASSES,
             "growthRate": 4, "blockConfig": [2, 2, 2, 2], "numInitFeatures": 8, "bnSize": 2}
    write_fixture("backbones/densenet_tiny", [("eval", attrs, {"y": y})])


DENSENET_STEP = {"growth_rate": 4, "block_config": (3, 4), "num_init_features": 8, "bn_size": 2}
STEP_LABELS = [2, 0]


def densenet_tiny_step():
    """A tiny DenseNet in train mode: logits, mean cross-entropy and every parameter's gradient, in float64; and,
    per parameter, the relative error of PyTorch's own float32 gradient against that ("f32_error.<name>"), since
    one tensor (norm0.weight, a sum that cancels to near zero) carries 5e-4 of it in any float32 computation."""
    shape = (BATCH, 3, 32, 32)
    labels = torch.tensor(STEP_LABELS)
    runs = {}
    for dtype in (torch.float64, torch.float32):
        torch.manual_seed(0)
        model = tvm.DenseNet(**DENSENET_STEP, num_classes=3)
        model.load_state_dict(hashed_state_dict(model, WEIGHT_SEED))
        model = model.to(dtype).train()
        logits = model(hashed_input(INPUT_SEED, shape).to(dtype))
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        runs[dtype] = (logits, loss, {name: p.grad.double() for name, p in model.named_parameters()})
    logits, loss, grads = runs[torch.float64]
    grads32 = runs[torch.float32][2]
    roles = {"logits": logits, "loss": loss.reshape(1), "labels": labels.double()}
    for name, g in grads.items():
        roles[f"grad.{name}"] = g
        roles[f"f32_error.{name}"] = ((grads32[name] - g).norm() / g.norm()).reshape(1)
    attrs = {"inputShape": list(shape), "inputSeed": INPUT_SEED, "weightSeed": WEIGHT_SEED, "numClasses": 3,
             "growthRate": 4, "blockConfig": [3, 4], "numInitFeatures": 8, "bnSize": 2}
    write_fixture("backbones/densenet_tiny_step", [("train", attrs, roles)])


def param_counts():
    print("parameters of the 1000-class models:")
    for name, build in PARAM_COUNT_MODELS.items():
        model = build()
        print(f"  {name:22s} {sum(p.numel() for p in model.parameters()):>12,d}")
        del model


def main():
    torch.set_num_threads(os.cpu_count() or 1)
    os.makedirs(os.path.join(FIXTURES, "backbones"), exist_ok=True)
    names = sys.argv[1:] or list(MODELS)
    for name in names:
        if name in MODELS:
            reference(name)
    if not sys.argv[1:]:
        hash_check()
        densenet_tiny_legacy()
        densenet_tiny_step()
        param_counts()


if __name__ == "__main__":
    main()
