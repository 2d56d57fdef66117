#!/usr/bin/python3
"""Exports torchvision models with seeded random weights to ONNX, with PyTorch's own output as the reference.

Usage: /usr/bin/python3 scripts/gen_torchvision_models.py OUTDIR [NAME ...]

Writes OUTDIR/<name>/model.onnx and OUTDIR/<name>/test_data_set_0/{input_0,output_0}.pb (ONNX TensorProto, the
layout of the ONNX backend test data). Idempotent: a model whose three files exist is skipped. Nothing is
downloaded: weights are random (torch.manual_seed), and every BatchNorm/LayerNorm gets random affine parameters and
running statistics so that a wrong BN fold or a wrong normalization axis changes the output visibly.
"""

import os
import shutil
import sys
import tempfile
import time

import warnings

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

OPSET = 13
INPUT_SHAPE = (1, 3, 224, 224)


def vit_tiny():
    # ViT-Ti/16 (DeiT-tiny geometry): 12 layers, 3 heads, hidden 192, MLP 768.
    return torchvision.models.VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=3,
                                                hidden_dim=192, mlp_dim=768, num_classes=1000)


MODELS = {
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights=None),
    "mobilenet_v3_small": lambda: torchvision.models.mobilenet_v3_small(weights=None),
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
    "resnet50": lambda: torchvision.models.resnet50(weights=None),
    "efficientnet_b0": lambda: torchvision.models.efficientnet_b0(weights=None),
    "squeezenet1_1": lambda: torchvision.models.squeezenet1_1(weights=None),
    "vit_tiny": vit_tiny,
}


def randomize(model, gen):
    """Replaces the trivial parts of torchvision's init (BN = identity, zero ViT head) with seeded random values."""

    def uniform(t, lo, hi):
        return torch.rand(t.shape, generator=gen) * (hi - lo) + lo

    def normal(t, std):
        return torch.randn(t.shape, generator=gen) * std

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(uniform(m.weight, 0.5, 1.5))
                m.bias.copy_(normal(m.bias, 0.1))
                m.running_mean.copy_(normal(m.running_mean, 0.1))
                m.running_var.copy_(uniform(m.running_var, 0.5, 2.0))
            elif isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(uniform(m.weight, 0.5, 1.5))
                m.bias.copy_(normal(m.bias, 0.1))
        if isinstance(model, torchvision.models.VisionTransformer):
            # torchvision zero-initializes the class token and the head; a zero output would test nothing.
            model.class_token.copy_(normal(model.class_token, 0.02))
            head = model.heads.head
            head.weight.copy_(normal(head.weight, 0.02))
            head.bias.copy_(normal(head.bias, 0.01))


def export_one(name, outdir):
    final_dir = os.path.join(outdir, name)
    files = ["model.onnx", "test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb"]
    if all(os.path.isfile(os.path.join(final_dir, f)) for f in files):
        print(f"  {name}: exists, skipped ({final_dir})")
        return
    start = time.time()
    # One seed per model (not one stream for all) so each model's weights don't depend on which others were built.
    seed = sum(ord(c) for c in name)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = MODELS[name]()
    randomize(model, gen)
    model.eval()
    x = torch.randn(INPUT_SHAPE, generator=gen)
    with torch.no_grad():
        y = model(x)

    # Write into a temp dir beside the target and rename, so an interrupted run never leaves a half model behind.
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=outdir)
    try:
        model_path = os.path.join(tmp, "model.onnx")
        with torch.no_grad():
            # PRESERVE (on an eval-mode model) exports inference-mode BatchNormalization nodes instead of letting
            # the exporter fold them into the convolutions, so edgerun's own BN kernel / BN folding gets tested.
            torch.onnx.export(model, x, model_path, opset_version=OPSET, do_constant_folding=True,
                              training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"],
                              output_names=["output"])
        onnx.checker.check_model(onnx.load(model_path))
        data_dir = os.path.join(tmp, "test_data_set_0")
        os.makedirs(data_dir)
        with open(os.path.join(data_dir, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x.numpy().astype(np.float32), "input").SerializeToString())
        with open(os.path.join(data_dir, "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y.numpy().astype(np.float32), "output").SerializeToString())
        if os.path.exists(final_dir):
            shutil.rmtree(final_dir)
        os.rename(tmp, final_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    out = y.numpy()
    print(f"  {name}: wrote {final_dir} ({os.path.getsize(os.path.join(final_dir, 'model.onnx')) >> 20} MiB, "
          f"output {list(out.shape)}, max |y| {np.abs(out).max():.3g}, {time.time() - start:.1f} s)")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(MODELS)}", file=sys.stderr)
        return 2
    # The exporter warns about traced Python asserts (ViT's input-size check); harmless for a fixed input shape.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    # ...and recommends no constant folding with PRESERVE, a concern for training-mode models only.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
    # Two threads at most: the machines this runs on are small and shared.
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    print(f"torchvision models (torch {torch.__version__}, torchvision {torchvision.__version__}, opset {OPSET}) "
          f"-> {outdir}")
    for name in names:
        export_one(name, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
