"""Loads a pipe safetensors export into PyTorch and measures its test accuracy.

    python3 scripts/torch_eval.py model.safetensors [--ref ../shared/bench/torch_ref.py]

The file (from `pipe export KEY FILE` or export() in a pipeline) holds the
kept weights of a three-layer convnet trained on the embedded Fashion-MNIST
pair. This script builds torch_ref.py's ThreeLayerConvNet of the same shape,
loads the tensors with load_state_dict(strict=True) unchanged (pipe's names
and layouts are that class's), rebuilds the test split as pipe does
(Debian's dataset-fashion-mnist, the same classes, pixels / 255 minus the
training split's mean image) and prints its test accuracy beside the one
pipe recorded. scripts/torch-eval.sh installs what it needs.
"""
import argparse, importlib.util, json, os, struct, sys

import numpy as np
import torch

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
    kinds = [l["kind"] for l in model["layers"] if l["kind"] != "dropout"]
    if kinds != ["conv", "relu", "max_pool", "affine", "relu", "affine"]:
        sys.exit(f"{a.file}: not a three-layer convnet: layers {kinds}")
    if data["name"] != "fashion-mnist" or data["split_seed"] >= 0:
        sys.exit(f"{a.file}: trained on {data['name']} (split seed {data['split_seed']}); this script rebuilds the fashion-mnist test split only")
    conv, hidden = model["layers"][0], model["layers"][3]
    classes = [FASHION_NAMES.index(n) for n in data["classes"]]
    if classes != sorted(classes):
        sys.exit("torch_ref numbers classes in sorted order; this file's are not")

    m = ref.ThreeLayerConvNet((c, h, w), conv["filters"], conv["filter_h"], hidden["out"], len(classes))
    m.load_state_dict(tensors, strict=True)
    m.eval()
    _, _, _, _, xt, yt = ref.fashion(classes, data["validation"])
    acc = ref.accuracy_of(m, xt, yt)
    print(f"torch {torch.__version__}: {a.file}: test accuracy {acc:.4f} on {len(yt)} images; pipe recorded {float(meta['pipe.test_acc']):.4f}")


if __name__ == "__main__":
    main()
