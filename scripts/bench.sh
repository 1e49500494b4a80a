#!/usr/bin/env bash
# Measures pipe against PyTorch and OpenBLAS side by side, in one run on
# one machine, as ../shared/bench/README.md prescribes:
#   training images/s of the base model (3x32x32, 2 classes; 1x28x28, 10
#   classes) at 1 and 2 threads, and float32 GEMM GFLOP/s on 1 thread.
# Usage: scripts/bench.sh [REF_DIR]   (REF_DIR defaults to ../shared/bench)
# Set up once with scripts/setup-bench.sh. Prints medians; raw Go benchmark
# output is kept in bench-out/ for benchstat.
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-../shared/bench}
count=${COUNT:-6}
out=bench-out
mkdir -p "$out"
py=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1

echo "== pipe: training step (go test -bench, -count $count)"
go test -run '^$' -bench 'BenchmarkTrainStep' -benchtime 20x -cpu 1,2 -count "$count" ./nn/ | tee "$out/trainstep.txt"
benchstat -col /cpu "$out/trainstep.txt" 2>/dev/null || true

echo "== PyTorch: training step"
for t in 1 2; do
	$py "$ref/torch_ref.py" throughput --threads $t --shape 3x32x32 --classes 2
	$py "$ref/torch_ref.py" throughput --threads $t --shape 1x28x28 --classes 10
done

echo "== pipe: float32 GEMM, 1 thread"
go test -run '^$' -bench 'BenchmarkSgemm' -cpu 1 -count "$count" ./nn/kernels/ | tee "$out/sgemm.txt"
benchstat "$out/sgemm.txt" 2>/dev/null || true

echo "== OpenBLAS: float32 GEMM, 1 thread (as configured, then without core-type overrides)"
$py "$ref/gemm_ref.py"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $py "$ref/gemm_ref.py"
