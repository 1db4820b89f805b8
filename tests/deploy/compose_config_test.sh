#!/usr/bin/env bash
# The Compose stack's wiring without Docker: ptc-simulator and ptc-server run here as the compose
# file runs them, with deploy/compose/ptc-server.pbtxt (only the host names and ports rewritten
# to loopback), and the traffic service's script runs one pass (fewer questions). Then the
# Kubernetes ConfigMap's config through the same server, with and without the Secret's variables.
# Usage: compose_config_test.sh PTC_SERVER PTC PTC_SIMULATOR
set -euo pipefail
usage="usage: $0 PTC_SERVER PTC PTC_SIMULATOR"
server_bin=${1:?$usage}
ptc_bin=${2:?$usage}
sim_bin=${3:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
compose_dir=$(cd "$here/../../deploy/compose" && pwd)
python=$("$here/find_python_yaml.sh")

. "$here/../common/background.sh"

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
grpc_addr=$(listening "$tmp/server.out" | sed -E 's/.*listening on ([^ ]+) .*/\1/')
echo "ptc-simulator $sim_url, ptc-server $grpc_addr"

# The traffic service's script, once: compose's `$$` unescaped, one pass instead of `while true`,
# no sleep, the server's address and fewer questions.
"$python" - "$compose_dir/docker-compose.yml" "$grpc_addr" >"$tmp/traffic.sh" <<'PY'
import re, sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
script = compose["services"]["traffic"]["command"][0].replace("$$", "$")
assert script.startswith("while true; do"), "the traffic script is no longer a while-true loop"
script = script.replace("while true; do", "for pass in 1; do", 1)
script = re.sub(r"\bsleep \d+", "true", script)
script = script.replace("ptc-server:50051", sys.argv[2])
script = re.sub(r"--limit \d+", "--limit 3", script)
print("set -e")
print(script)
PY
grep -q "ptc eval" "$tmp/traffic.sh" || { echo "FAIL no ptc eval in the traffic service"; exit 1; }
mkdir "$tmp/bin"
ln -s "$(cd "$(dirname "$ptc_bin")" && pwd)/$(basename "$ptc_bin")" "$tmp/bin/ptc"
PATH="$tmp/bin:$PATH" sh -x "$tmp/traffic.sh" </dev/null || { echo "FAIL: the traffic script"; exit 1; }
echo "compose traffic ran against the compose config"

# The Kubernetes ConfigMap's config starts the same server once the Deployment's Secret-backed
# variables are set (dummy values; no backend is called), and is refused without them.
"$python" - "$here/../../deploy/k8s" "$tmp/k8s.pbtxt" >"$tmp/k8s.env" <<'PY'
import os, sys, yaml
k8s, out = sys.argv[1:3]
(cm,) = yaml.safe_load_all(open(os.path.join(k8s, "configmap.yaml")))
open(out, "w").write(cm["data"]["server.pbtxt"])
(dep,) = yaml.safe_load_all(open(os.path.join(k8s, "deployment.yaml")))
for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]:
    if "secretKeyRef" in e.get("valueFrom", {}):
        print(f"{e['name']}=dummy-key")
PY
if "$server_bin" --config "$tmp/k8s.pbtxt" --listen 127.0.0.1:0 --metrics-listen off \
  >"$tmp/k8s-nokeys.out" 2>&1; then
  echo "FAIL the k8s config started without its API keys"; exit 1
fi
grep -q "api_key_env" "$tmp/k8s-nokeys.out" || { cat "$tmp/k8s-nokeys.out"; exit 1; }
env $(cat "$tmp/k8s.env") "$server_bin" --config "$tmp/k8s.pbtxt" --listen 127.0.0.1:0 \
  --metrics-listen off >"$tmp/k8s.out" 2>&1 &
pids+=($!)
listening "$tmp/k8s.out"
echo "the k8s ConfigMap config starts with the Secret's variables and is refused without them"
