#!/usr/bin/env bash
# The main job: install, build, start ptc-server on its embedded simulated model, and run
# `ptc eval` on the bundled GPQA-style sample with N = 1..64 chains per question (the simulated
# Claude 3.7 Sonnet GPQA scenario, majority vote), printing accuracy, cost and latency by N.
# out/eval/ gets results.csv, results.json, report.md, the plots (PNG and SVG) and records.jsonl.
# The full scenario with the confidence-weighted and filtered votes:
#   ./build/service/client/ptc eval --scenario claude37-gpqa --out out/claude37-gpqa
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh

log=$(mktemp)
./build/service/ptc-server --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$log" && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
cat "$log"
address=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$log")

rm -rf out/eval  # a fresh run each time (an interrupted one continues with --resume)
./build/service/client/ptc eval --server "$address" --dataset bench/data/gpqa_sample.jsonl \
  --scenario claude37-gpqa --strategy majority --n 1,2,4,8,16,32,64 --repeats 3 \
  --concurrency 32 --out out/eval --experiment demo
echo "report: out/eval/report.md; plots: out/eval/accuracy_vs_cost.png, out/eval/accuracy_vs_n.png"
