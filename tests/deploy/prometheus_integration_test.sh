#!/usr/bin/env bash
# The deploy/ monitoring stack against a real Prometheus: starts ptc-server (embedded simulated
# model, metrics on a free port) and Debian's prometheus (temp storage, 1 s scrape and rule
# evaluation, the scrape target and the rule files of deploy/prometheus/ written into a temp copy
# of prometheus.yml), runs `ptc eval` on the bundled sample, then check_promql.py evaluates every
# PromQL expression of deploy/grafana/dashboards/*.json and deploy/prometheus/rules/*.yml through
# /api/v1/query:
#   - dashboard queries and recording rules (and each recorded series) must return data;
#   - alert expressions must evaluate without error; they are empty in this healthy run, so each
#     of their operands (the expression without its trailing `> THRESHOLD`, split at `and on`)
#     must return data instead;
#   - the accuracy recording rule must agree with the accuracy `ptc eval` printed for each N.
# Also: ptc-health-probe (the Docker HEALTHCHECK) sees the server SERVING, and a closed port as
# no answer.
# Usage: prometheus_integration_test.sh PTC_SERVER PTC PTC_HEALTH_PROBE. Skipped (skip_test) only
# when prometheus is not installed (scripts/install-deps.sh installs it). Bounded: every wait has a deadline.
set -euo pipefail
usage="usage: $0 PTC_SERVER PTC PTC_HEALTH_PROBE"
server_bin=${1:?$usage}
ptc_bin=${2:?$usage}
probe_bin=${3:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

prometheus_bin=$(command -v prometheus || true)
[ -n "$prometheus_bin" ] || [ ! -x /usr/bin/prometheus ] || prometheus_bin=/usr/bin/prometheus
if [ -z "$prometheus_bin" ]; then
  . "$here/../common/skip.sh"
  skip_test "prometheus not installed (scripts/install-deps.sh installs Debian's)"
fi
python=$("$here/find_python_yaml.sh")

. "$here/../common/background.sh"

# ptc-server picks its own free ports and prints them.
"$server_bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 >"$tmp/server.out" 2>&1 &
pids+=($!)
line=$(listening "$tmp/server.out") || exit 1
grpc_addr=$(sed -E 's/.*listening on ([^ ]+) .*/\1/' <<<"$line")
metrics_addr=$(sed -E 's/.*metrics: ([^;]+);.*/\1/' <<<"$line")
echo "ptc-server: gRPC $grpc_addr, metrics $metrics_addr"
[ "$("$probe_bin" --addr "$grpc_addr")" = SERVING ] || { echo "FAIL health probe"; exit 1; }
rc=0
"$probe_bin" --addr "127.0.0.1:1" --timeout-s 1 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL health probe on a closed port: exit $rc, want 2"; exit 1; }
echo "ptc-health-probe: SERVING; closed port: exit 2"

prom_port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$python" - "$src/deploy/prometheus/prometheus.yml" "$tmp/prometheus.yml" "$metrics_addr" <<'PY'
import os, sys, yaml
src, dst, target = sys.argv[1:4]
cfg = yaml.safe_load(open(src))
cfg["global"]["scrape_interval"] = "1s"
cfg["global"]["evaluation_interval"] = "1s"
base = os.path.dirname(os.path.abspath(src))
cfg["rule_files"] = [os.path.join(base, f) for f in cfg["rule_files"]]
(job,) = [j for j in cfg["scrape_configs"] if j["job_name"] == "ptc"]
job["static_configs"] = [{"targets": [target]}]
yaml.safe_dump(cfg, open(dst, "w"))
PY
"$prometheus_bin" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.out" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$prom_port"
for _ in $(seq 150); do
  "$python" -c "import urllib.request as u; u.urlopen('$prom/-/ready', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
"$python" -c "import urllib.request as u; u.urlopen('$prom/-/ready', timeout=1)" ||
  { echo "prometheus did not become ready"; cat "$tmp/prometheus.out"; exit 1; }
echo "prometheus: $prom ($("$prometheus_bin" --version 2>&1 | head -1))"

# Fixed N (1 and 4, powers of two so the n label is N itself) for the accuracy comparison, then
# Adaptive-Consistency at N=8 under its own experiment so early stops (and savings) happen. One
# N per `ptc eval`, so that each prints the accuracy of exactly the calls it made at that N
# (12 calls each, 36 in all).
for n in 1 4; do
  "$ptc_bin" eval --server "$grpc_addr" --n "$n" --limit 12 --experiment deploy-fixed \
    --stop fixed | tee -a "$tmp/eval_fixed.out"
done
"$ptc_bin" eval --server "$grpc_addr" --n 8 --limit 12 --experiment deploy-ac \
  --stop ac | tee "$tmp/eval_ac.out"

"$python" "$here/check_promql.py" --prometheus "$prom" --src "$src" --requests 36 \
  --eval-output deploy-fixed="$tmp/eval_fixed.out" --eval-output deploy-ac="$tmp/eval_ac.out"
