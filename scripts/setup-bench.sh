#!/usr/bin/env bash
# Installs what the side-by-side reference benchmark needs on a Debian
# machine: PyTorch and numpy from Debian (not pip), OpenBLAS with threads
# (without it torch and numpy fall back to the slow reference BLAS), the
# real Fashion-MNIST files, and benchstat.
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y \
	python3-torch python3-numpy libopenblas0-pthread dataset-fashion-mnist
go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
