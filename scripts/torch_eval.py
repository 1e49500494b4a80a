"""Loads a pipe safetensors export into PyTorch and measures its test accuracy.

    python3 scripts/torch_eval.py model.safetensors [--ref ../shared/bench/torch_ref.py]

The file (from `pipe export KEY FILE` or export() in a pipeline) holds the
kept weights of a model trained on the embedded Fashion-MNIST pair (or any
Fashion-MNIST classes). PipeNet below is a torch.nn.Module for any pipe
sequential model (conv, relu, max_pool, avg_pool, affine, dropout,
batchnorm), built from the model spec in the file's metadata, with pipe's
tensor names (W1, b1, ..., gamma1, beta1, running_mean1, running_var1), so
load_state_dict(strict=True) takes the file unchanged. A three-layer convnet
is also loaded into torch_ref.py's ThreeLayerConvNet (pipe's names and
layouts are that class's) and must give the same accuracy. The test split
is rebuilt as pipe does (Debian's dataset-fashion-mnist, the same classes,
pixels / 255 minus the training split's mean image) and PyTorch's test
accuracy is printed beside the one pipe recorded. scripts/torch-eval.sh
installs what it needs.
"""
import argparse, importlib.util, json, os, struct, sys

import numpy as np
import torch
import torch.nn.functional as F

FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_safetensors(path):
    """The format by hand (8-byte length, JSON header, little-endian data): a few lines."""
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = b[8 + n:]
    dtypes = {"F32": np.float32, "I32": np.int32}
    tensors = {}
    for name, e in header.items():
        lo, hi = e["data_offsets"]
        a = np.frombuffer(data[lo:hi], dtype=np.dtype(dtypes[e["dtype"]]).newbyteorder("<"))
        tensors[name] = torch.from_numpy(a.reshape(e["shape"]).astype(dtypes[e["dtype"]]))
    return tensors, meta


class PipeNet(torch.nn.Module):
    """A pipe sequential model: layers as pipe.model lists them, parameters
    named as pipe names them (weights and biases numbered over conv and affine
    layers, batch norm's over batch-norm layers), in pipe's layouts: conv
    weights (filters, channels, h, w); affine weights (inputs, outputs),
    applied as x @ W + b to the input flattened in (channels, h, w) order."""

    def __init__(self, model, shape, classes):
        super().__init__()
        self.layers = model["layers"]
        c, h, w = shape
        weighted = normed = 0
        for l in self.layers:
            k = l["kind"]
            if k == "conv":
                weighted += 1
                fh, fw, s, p = l["filter_h"], l["filter_w"], l.get("stride", 1), l.get("pad", 0)
                self.register_parameter(f"W{weighted}", torch.nn.Parameter(torch.zeros(l["filters"], c, fh, fw)))
                self.register_parameter(f"b{weighted}", torch.nn.Parameter(torch.zeros(l["filters"])))
                c, h, w = l["filters"], (h + 2 * p - fh) // s + 1, (w + 2 * p - fw) // s + 1
            elif k in ("max_pool", "avg_pool"):
                ph, pw = l["pool_h"], l["pool_w"]
                s = l.get("pool_stride") or ph
                h, w = (h - ph) // s + 1, (w - pw) // s + 1
            elif k == "affine":
                weighted += 1
                out = l.get("out") or classes  # out None: the classes
                self.register_parameter(f"W{weighted}", torch.nn.Parameter(torch.zeros(c * h * w, out)))
                self.register_parameter(f"b{weighted}", torch.nn.Parameter(torch.zeros(out)))
                c, h, w = out, 1, 1
            elif k == "batchnorm":
                normed += 1
                self.register_parameter(f"gamma{normed}", torch.nn.Parameter(torch.ones(c)))
                self.register_parameter(f"beta{normed}", torch.nn.Parameter(torch.zeros(c)))
                self.register_buffer(f"running_mean{normed}", torch.zeros(c))
                self.register_buffer(f"running_var{normed}", torch.ones(c))
            elif k not in ("relu", "dropout"):
                sys.exit(f"layer kind {k!r}: PipeNet does not know it")

    def forward(self, x):
        weighted = normed = 0
        for l in self.layers:
            k = l["kind"]
            if k == "conv":
                weighted += 1
                x = F.conv2d(x, getattr(self, f"W{weighted}"), getattr(self, f"b{weighted}"),
                             stride=l.get("stride", 1), padding=l.get("pad", 0))
            elif k == "relu":
                x = F.relu(x)
            elif k == "max_pool":
                x = F.max_pool2d(x, (l["pool_h"], l["pool_w"]), l.get("pool_stride") or l["pool_h"])
            elif k == "avg_pool":
                x = F.avg_pool2d(x, (l["pool_h"], l["pool_w"]), l.get("pool_stride") or l["pool_h"])
            elif k == "affine":
                weighted += 1
                x = torch.addmm(getattr(self, f"b{weighted}"), x.flatten(1), getattr(self, f"W{weighted}"))
            elif k == "batchnorm":
                normed += 1
                x = F.batch_norm(x, getattr(self, f"running_mean{normed}"), getattr(self, f"running_var{normed}"),
                                 getattr(self, f"gamma{normed}"), getattr(self, f"beta{normed}"),
                                 training=False, eps=l.get("eps", 1e-5))
            # dropout: nothing at test time (pipe scales in training, inverted dropout)
        return x


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--ref", default=os.path.join(here, "..", "..", "shared", "bench", "torch_ref.py"))
    a = p.parse_args()
    spec = importlib.util.spec_from_file_location("torch_ref", a.ref)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)

    tensors, meta = read_safetensors(a.file)
    model, data = json.loads(meta["pipe.model"]), json.loads(meta["pipe.data"])
    c, h, w = (int(v) for v in meta["pipe.input"].split(","))
    if data["name"] != "fashion-mnist" or data["split_seed"] >= 0:
        sys.exit(f"{a.file}: trained on {data['name']} (split seed {data['split_seed']}); this script rebuilds the fashion-mnist test split only")
    classes = [FASHION_NAMES.index(n) for n in data["classes"]]
    if classes != sorted(classes):
        sys.exit("torch_ref numbers classes in sorted order; this file's are not")
    _, _, _, _, xt, yt = ref.fashion(classes, data["validation"])

    net = PipeNet(model, (c, h, w), len(classes))
    net.load_state_dict(tensors, strict=True)
    net.eval()
    acc = ref.accuracy_of(net, xt, yt)
    line = f"torch {torch.__version__}: {a.file}: test accuracy {acc:.4f} on {len(yt)} images; pipe recorded {float(meta['pipe.test_acc']):.4f}"

    kinds = [l["kind"] for l in model["layers"] if l["kind"] != "dropout"]
    if kinds == ["conv", "relu", "max_pool", "affine", "relu", "affine"]:
        conv, hidden = model["layers"][0], model["layers"][3]
        m = ref.ThreeLayerConvNet((c, h, w), conv["filters"], conv["filter_h"], hidden["out"], len(classes))
        m.load_state_dict(tensors, strict=True)
        m.eval()
        ref_acc = ref.accuracy_of(m, xt, yt)
        if ref_acc != acc:
            sys.exit(f"{line}\ntorch_ref's ThreeLayerConvNet gives {ref_acc:.4f}, PipeNet {acc:.4f}")
        line += " (the same in torch_ref's ThreeLayerConvNet)"
    print(line)


if __name__ == "__main__":
    main()
