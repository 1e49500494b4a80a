#!/usr/bin/env bash
# Measures pipe against PyTorch and OpenBLAS side by side, in one run on one
# machine, as ../shared/bench/README.md prescribes: training images/s of the
# base model (3x32x32 with 2 classes, 1x28x28 with 10) at 1 and 2 threads,
# and float32 GEMM GFLOP/s on 1 thread. Go and Python runs alternate round by
# round, so drifting machine load hits both sides alike; medians are printed.
#
# Usage: scripts/bench.sh [REF_DIR]   (REF_DIR defaults to ../shared/bench)
# Set up once with scripts/setup-bench.sh. ROUNDS=N sets the rounds (3, about 3
# minutes each); ROUNDS=0 only summarises the raw output kept in bench-out/
# (Go's is benchstat input). Each side measures 300 training steps per
# configuration and round (torch_ref: 3 blocks of 100; Go: -count 3 of 100x).
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-../shared/bench}
rounds=${ROUNDS:-3}
out=bench-out
py=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 # torch's own pool supplies the threads
mkdir -p "$out"
if [ "$rounds" -gt 0 ]; then
	: >"$out/trainstep.txt"
	: >"$out/torch.txt"
	: >"$out/sgemm.txt"
	: >"$out/openblas.txt"
fi

for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	go test -run '^$' -bench 'BenchmarkTrainStep' -benchtime 100x -cpu 1,2 -count 3 ./nn/ >>"$out/trainstep.txt"
	for t in 1 2; do
		$py "$ref/torch_ref.py" throughput --threads $t --shape 3x32x32 --classes 2 --blocks 3 >>"$out/torch.txt"
		$py "$ref/torch_ref.py" throughput --threads $t --shape 1x28x28 --classes 10 --blocks 3 >>"$out/torch.txt"
	done
	go test -run '^$' -bench '^BenchmarkSgemm$' -cpu 1 -count 1 ./nn/kernels/ >>"$out/sgemm.txt"
	$py "$ref/gemm_ref.py" >>"$out/openblas.txt"
done

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

echo "== training images/s, medians of every run in bench-out/"
printf '%-10s %-8s %10s %10s %7s\n' shape threads pipe torch ratio
for shape in 3x32x32 1x28x28; do
	for t in 1 2; do
		suffix=$([ "$t" = 1 ] && echo "" || echo "-$t")
		p=$(awk -v n="BenchmarkTrainStep/$shape$suffix" '$1==n {for (i=1;i<=NF;i++) if ($(i+1)=="images/s") print $i}' "$out/trainstep.txt" | median)
		q=$(grep "threads $t shape $shape" "$out/torch.txt" | sed 's/.*median \([0-9.]*\).*/\1/' | median)
		printf '%-10s %-8s %10.0f %10.0f %6.2fx\n' "$shape" "$t" "$p" "$q" "$(awk -v p="$p" -v q="$q" 'BEGIN {print p / q}')"
	done
done

echo "== float32 GEMM GFLOP/s, 1 thread, medians of every run in bench-out/"
printf '%-16s %10s %10s %7s\n' M,K,N pipe openblas ratio
for s in 32,147,51200 50,8192,500 500,50,8192; do
	p=$(awk -v n="BenchmarkSgemm/${s//,/x}" '$1==n {for (i=1;i<=NF;i++) if ($(i+1)=="GFLOP/s") print $i}' "$out/sgemm.txt" | median)
	q=$(grep "M,K,N=$s:" "$out/openblas.txt" | sed 's/.*median \([0-9.]*\).*/\1/' | median)
	printf '%-16s %10.1f %10.1f %6.2fx\n' "$s" "$p" "$q" "$(awk -v p="$p" -v q="$q" 'BEGIN {print p / q}')"
done
echo "allocs/op of the training step: $(awk '/BenchmarkTrainStep/ {for (i=1;i<=NF;i++) if ($(i+1)=="allocs/op") print $i}' "$out/trainstep.txt" | sort -u | tr '\n' ' ')"
