#!/usr/bin/env bash
# Screenshots of pipe's browser views, for anyone to look at:
#   OUT/dashboard.png  pipe serve's dashboard while a sweep trains
#   OUT/compare.png    the comparison of two trials of the filter-size sweep
#   OUT/pipeline.png   a pipeline's page on the dashboard
#   OUT/report.png     out/report/report.html opened from disk
#
#   scripts/screenshots.sh [RESULTS] [OUT]      (defaults: out, screenshots)
#
# RESULTS is an output root holding report/report.html (pipe run
# pipelines/report.star makes it; the script runs it when missing, which
# trains the whole study, about 10 minutes on 2 cores). The dashboard shot
# runs pipelines/hidden_dim.star with --rerun into a copy of RESULTS in a
# temporary folder, so the trials being trained show; RESULTS is not
# changed. Needs chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-out}
out=${2:-screenshots}
browser=${PIPE_CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$browser" ]; then echo "screenshots.sh: no chromium found (apt-get install chromium)" >&2; exit 1; fi
mkdir -p "$out"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/pipe" ./cmd/pipe
pipe="$tmp/pipe"
if [ ! -f "$results/report/report.html" ]; then
  echo "screenshots.sh: $results/report/report.html is missing; running pipelines/report.star (trains the study)"
  "$pipe" run pipelines/report.star --out "$results" -q
fi

shot() { # shot URL FILE HEIGHT
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1280,"$3" --virtual-time-budget=3000 --screenshot="$2" "$1" >/dev/null 2>&1
  echo "wrote $2"
}

# A copy of the results, where a sweep trains while the dashboard is shot.
cp -r "$results" "$tmp/root"
rm -rf "$tmp/root/live"
port=$((20000 + RANDOM % 20000))
"$pipe" serve "$tmp/root" --addr "127.0.0.1:$port" >/dev/null &
pids+=($!)
"$pipe" run pipelines/hidden_dim.star --out "$tmp/root" --rerun --jobs 2 -q >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  if ls "$tmp/root/live/"*.json >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$port/" >/dev/null; then break; fi
  sleep 0.5
done
sleep 4 # some progress to show
shot "http://127.0.0.1:$port/" "$out/dashboard.png" 1500

# Two trials of the filter-size sweep: they differ in one setting.
keys=$("$pipe" export --records "$results" | grep -o '"key":"[0-9a-f]*","settings":{"filter_size"' | cut -d'"' -f4 | head -2 | paste -sd, -)
if [ -z "$keys" ]; then keys=$(ls "$results/trials" | head -2 | sed 's/\.json$//' | paste -sd, -); fi
shot "http://127.0.0.1:$port/compare?keys=$keys" "$out/compare.png" 2600
shot "http://127.0.0.1:$port/p/report/" "$out/pipeline.png" 2000
shot "file://$(cd "$results/report" && pwd)/report.html" "$out/report.png" 3000
