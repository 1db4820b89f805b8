#!/usr/bin/env bash
# The Compose stack's wiring without Docker: ptc-simulator and ptc-server run here as the compose
# file runs them, with deploy/compose/ptc-server.pbtxt (only the host names and ports rewritten
# to loopback), and the traffic service's `ptc eval` commands run once each (fewer questions).
# Exits 77 (skipped) while the server build does not have the OpenAI-compatible backend kind the
# compose config uses (ptc.v1.OpenAiBackendConfig).
# Usage: compose_config_test.sh PTC_SERVER PTC PTC_SIMULATOR
set -euo pipefail
usage="usage: $0 PTC_SERVER PTC PTC_SIMULATOR"
server_bin=${1:?$usage}
ptc_bin=${2:?$usage}
sim_bin=${3:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
compose_dir=$(cd "$here/../../deploy/compose" && pwd)
python=$("$here/find_python_yaml.sh")

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Waits for "listening on" in $1 (a process's output) and prints the line.
listening() {
  for _ in $(seq 100); do
    grep -qs "listening on" "$1" && break
    sleep 0.1
  done
  grep "listening on" "$1" || { cat "$1" >&2; return 1; }
}

"$sim_bin" --listen 127.0.0.1:0 >"$tmp/sim.out" 2>&1 &
pids+=($!)
sim_url=$(listening "$tmp/sim.out" | sed -E 's/.*listening on (http:[^ ]+).*/\1/')

sed -E "s#http://ptc-simulator:8000#$sim_url#" "$compose_dir/ptc-server.pbtxt" >"$tmp/server.pbtxt"
grep -q "$sim_url" "$tmp/server.pbtxt" || { echo "FAIL no ptc-simulator endpoint in the config"; exit 1; }
rc=0
"$server_bin" --config "$tmp/server.pbtxt" --listen 127.0.0.1:0 --metrics-listen off \
  >"$tmp/server.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -qs "listening on\|bad config" "$tmp/server.out" && break
  sleep 0.1
done
if grep -q 'Could not find type "type.googleapis.com/ptc.v1.OpenAiBackendConfig"\|unknown plugin "ptc.v1.OpenAiBackendConfig"' \
  "$tmp/server.out"; then
  echo "SKIP: this ptc-server has no OpenAI-compatible backend kind yet:"
  cat "$tmp/server.out"
  exit 77
fi
grpc_addr=$(listening "$tmp/server.out" | sed -E 's/.*listening on ([^ ]+) .*/\1/')
echo "ptc-simulator $sim_url, ptc-server $grpc_addr"

# The traffic service's commands, as the compose file has them, with the server address and a
# smaller --limit.
"$python" - "$compose_dir/docker-compose.yml" >"$tmp/commands" <<'PY'
import re, sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
script = compose["services"]["traffic"]["command"][0].replace("\\\n", " ")
for line in script.splitlines():
    line = " ".join(line.split())
    if line.startswith("ptc eval"):
        print(line)
PY
[ -s "$tmp/commands" ] || { echo "FAIL no ptc eval command in the traffic service"; exit 1; }
while read -r cmd; do
  cmd=${cmd//ptc-server:50051/$grpc_addr}
  cmd=$(sed -E 's/--limit [0-9]+/--limit 3/' <<<"$cmd")
  echo "+ $cmd"
  # shellcheck disable=SC2086
  "$ptc_bin" ${cmd#ptc } </dev/null || { echo "FAIL: $cmd"; exit 1; }
done <"$tmp/commands"
echo "compose traffic ran against the compose config"
