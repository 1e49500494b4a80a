#!/usr/bin/env bash
# Measures an exported pipe model's test accuracy in PyTorch:
#   scripts/torch-eval.sh model.safetensors
# Installs Debian's python3-torch, python3-numpy and dataset-fashion-mnist
# first when they are missing (needs root), then runs scripts/torch_eval.py
# with Debian's /usr/bin/python3, where python3-torch installs.
set -euo pipefail
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || [ ! -d /usr/share/datasets/fashion-mnist ]; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch python3-numpy dataset-fashion-mnist
fi
exec /usr/bin/python3 "$(dirname "$0")/torch_eval.py" "$@"
