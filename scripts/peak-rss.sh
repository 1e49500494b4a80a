#!/usr/bin/env bash
# Peak memory of the README's first command: the maximum resident set size
# (GNU time -v) of `pipe run pipelines/filter_size.star --rerun` with
# --jobs 2 and --jobs 1, RUNS times each, in a scratch output root (the
# repository's out/ is left alone). Issue 13's target is 150 MB with --jobs 2.
#
# Usage: scripts/peak-rss.sh   (RUNS=N sets the runs per setting, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-2}
if [ ! -x /usr/bin/time ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pipe" ./cmd/pipe
for jobs in 2 1; do
	for r in $(seq "$runs"); do
		/usr/bin/time -v "$tmp/pipe" run pipelines/filter_size.star --rerun -q --jobs "$jobs" --out "$tmp/out" \
			>/dev/null 2>"$tmp/time.txt"
		kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
		wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
		awk -v j="$jobs" -v r="$r" -v kb="$kb" -v w="$wall" \
			'BEGIN { printf "peak RSS --jobs %d run %d: %.1f MB (wall %s)\n", j, r, kb / 1000, w }'
	done
done
