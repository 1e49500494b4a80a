#!/usr/bin/env bash
# Measures pipe against PyTorch and OpenBLAS side by side, in one run on one
# machine, as ../shared/bench/README.md prescribes: training images/s of the
# base model (3x32x32 with 2 classes, 1x28x28 with 10) at 1 and 2 threads,
# and float32 GEMM GFLOP/s on 1 thread. Go and Python runs alternate round by
# round, so drifting machine load hits both sides alike; medians are printed,
# each also as a fraction of the core's float32 FMA peak measured in the same
# rounds (nn/kernels BenchmarkFMAPeak: a register-only loop at the widest
# vector the CPU has), with the GEMM on the pure-Go kernel path beside the
# assembly one.
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
	: >"$out/peak.txt"
	: >"$out/sgemm-paths.txt"
fi

for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	go test -run '^$' -bench 'BenchmarkTrainStep' -benchtime 100x -cpu 1,2 -count 3 ./nn/ >>"$out/trainstep.txt"
	for t in 1 2; do
		$py "$ref/torch_ref.py" throughput --threads $t --shape 3x32x32 --classes 2 --blocks 3 >>"$out/torch.txt"
		$py "$ref/torch_ref.py" throughput --threads $t --shape 1x28x28 --classes 10 --blocks 3 >>"$out/torch.txt"
	done
	go test -run '^$' -bench 'BenchmarkFMAPeak' -cpu 1 -count 3 ./nn/kernels/ >>"$out/peak.txt"
	go test -run '^$' -bench '^BenchmarkSgemm$' -cpu 1 -count 1 ./nn/kernels/ >>"$out/sgemm.txt"
	for path in avx2 go; do # (a path the CPU lacks fails and is left out)
		go test -run '^$' -bench '^BenchmarkSgemm$' -cpu 1 -count 1 ./nn/kernels/ -args -kernels=$path 2>/dev/null |
			sed "s|^BenchmarkSgemm/|BenchmarkSgemm/$path/|" >>"$out/sgemm-paths.txt" || true
	done
	$py "$ref/gemm_ref.py" >>"$out/openblas.txt"
done

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
# metric FILE NAME UNIT: every value of UNIT on the lines of benchmark NAME.
metric() { awk -v n="$2" -v u="$3" '$1==n {for (i=1;i<=NF;i++) if ($(i+1)==u) print $i}' "$1"; }
frac() { awk -v p="$1" -v q="$2" 'BEGIN {if (q > 0) printf "%.0f%%", 100 * p / q; else printf "-"}'; }

peak=$(metric "$out/peak.txt" BenchmarkFMAPeak GFLOP/s | median)
cpupeak=$(metric "$out/peak.txt" BenchmarkFMAPeak cpu-GFLOP/s | median)
echo "== float32 FMA peak of one core (register-only loop, widest vector), medians"
echo "wall clock $peak GFLOP/s; thread CPU time $cpupeak GFLOP/s (steadier on a shared machine)"
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== training images/s, medians of every run in bench-out/"
echo "(pipe's GFLOP/s: images/s x flops of one image's step - 43.85 MFLOP for 3x32x32/2 classes, 23.76 for"
echo " 1x28x28/10 - and its share of the FMA peak of as many cores as threads; cpu: the same share from"
echo " images per CPU-second of the Go process times the threads, over the CPU-time peak)"
printf '%-10s %-8s %10s %10s %7s %9s %7s %7s\n' shape threads pipe torch ratio GFLOP/s of-peak cpu
for shape in 3x32x32 1x28x28; do
	mflop=$([ "$shape" = 3x32x32 ] && echo 43.85 || echo 23.76)
	for t in 1 2; do
		suffix=$([ "$t" = 1 ] && echo "" || echo "-$t")
		p=$(metric "$out/trainstep.txt" "BenchmarkTrainStep/$shape$suffix" images/s | median)
		q=$(grep "threads $t shape $shape" "$out/torch.txt" | sed 's/.*median \([0-9.]*\).*/\1/' | median)
		c=$(metric "$out/trainstep.txt" "BenchmarkTrainStep/$shape$suffix" cpu-images/s | median)
		g=$(awk -v p="$p" -v f="$mflop" 'BEGIN {printf "%.1f", p * f / 1000}')
		printf '%-10s %-8s %10.0f %10.0f %6.2fx %9s %7s %7s\n' "$shape" "$t" "$p" "$q" "$(awk -v p="$p" -v q="$q" 'BEGIN {print p / q}')" \
			"$g" "$(frac "$g" "$(awk -v p="$peak" -v t="$t" 'BEGIN {print p * t}')")" \
			"$(frac "$(awk -v c="${c:-0}" -v f="$mflop" 'BEGIN {print c * f / 1000}')" "$(awk -v p="$cpupeak" -v t="$t" 'BEGIN {print p * t}')")"
	done
done

echo "== float32 GEMM GFLOP/s, 1 thread, medians of every run in bench-out/"
echo "(of-peak: wall GFLOP/s over the wall peak; cpu: thread-CPU-time GFLOP/s over the CPU-time peak;"
echo " avx2, go: the same product on those kernel paths, wall)"
printf '%-16s %10s %10s %7s %8s %8s %8s %8s\n' M,K,N pipe openblas ratio of-peak cpu avx2 go
for s in 32,147,51200 50,8192,500 500,50,8192; do
	n="BenchmarkSgemm/${s//,/x}"
	p=$(metric "$out/sgemm.txt" "$n" GFLOP/s | median)
	c=$(metric "$out/sgemm.txt" "$n" cpu-GFLOP/s | median)
	a=$(metric "$out/sgemm-paths.txt" "BenchmarkSgemm/avx2/${s//,/x}" GFLOP/s | median)
	g=$(metric "$out/sgemm-paths.txt" "BenchmarkSgemm/go/${s//,/x}" GFLOP/s | median)
	q=$(grep "M,K,N=$s:" "$out/openblas.txt" | sed 's/.*median \([0-9.]*\).*/\1/' | median)
	printf '%-16s %10.1f %10.1f %6.2fx %8s %8s %8s %8s\n' "$s" "$p" "$q" "$(awk -v p="$p" -v q="$q" 'BEGIN {print p / q}')" \
		"$(frac "$p" "$peak")" "$(frac "$c" "$cpupeak")" "${a:--}" "${g:--}"
done
echo "allocs/op of the training step: $(awk '/BenchmarkTrainStep/ {for (i=1;i<=NF;i++) if ($(i+1)=="allocs/op") print $i}' "$out/trainstep.txt" | sort -u | tr '\n' ' ')"
