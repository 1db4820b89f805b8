#!/usr/bin/env bash
# `ptc solve` through ptc-server to ptc-simulator over loopback HTTP (an OpenAI-compatible VLLM
# backend) gives the same chains' answers and finish reasons as the embedded simulated backend
# with the same model seed and chain seeds: for a dataset question (the model's calibrated
# answers) and for a prompt it does not know (letters by prompt hash and seed).
# Usage: solve_via_simulator_test.sh PTC_SERVER PTC PTC_SIMULATOR DATASET
set -euo pipefail
usage="usage: $0 PTC_SERVER PTC PTC_SIMULATOR DATASET"
server_bin=${1:?$usage}
ptc_bin=${2:?$usage}
sim_bin=${3:?$usage}
dataset=${4:?$usage}
. "$(dirname "$0")/../../common/background.sh"

# The address after "listening on" in $1.
address() { listening "$1" | sed -E 's/.*listening on ([^ ]+).*/\1/'; }

"$sim_bin" --listen 127.0.0.1:0 --seed 5 --dataset "$dataset" >"$tmp/sim.out" 2>&1 &
pids+=($!)
sim_url=$(address "$tmp/sim.out") || { echo "FAIL ptc-simulator did not start"; exit 1; }

cat >"$tmp/server.pbtxt" <<CONFIG
backends {
  name: "embedded"
  config {
    [type.googleapis.com/ptc.v1.SimBackendConfig] { seed: 5 dataset: "$dataset" }
  }
}
backends {
  name: "simulator"
  config {
    [type.googleapis.com/ptc.v1.OpenAiBackendConfig] {
      default_model: "sim-reasoner"
      flavor: VLLM
      http { endpoints: "$sim_url/v1" }
    }
  }
}
CONFIG
"$server_bin" --config "$tmp/server.pbtxt" --listen 127.0.0.1:0 --metrics-listen off \
  >"$tmp/server.out" 2>&1 &
pids+=($!)
grpc=$(address "$tmp/server.out") || { echo "FAIL ptc-server did not start"; exit 1; }

# The first dataset question in the simple-evals layout the simulated model recognises.
question=$(python3 - "$dataset" <<'PY'
import json, sys
q = json.loads(open(sys.argv[1]).readline())
choices = [q["incorrect_answers"][0], q["correct_answer"]] + q["incorrect_answers"][1:]
print("Answer the following multiple choice question. The last line of your response should be "
      "of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. "
      "Think step by step before answering.\n\n" + q["question"] + "\n\n" +
      "\n".join(f"{l}) {c}" for l, c in zip("ABCD", choices)))
PY
)
unknown=$'Which colour? Answer with "Answer: X".\nA) red\nB) green\nC) blue\nD) yellow'

fail=0
for prompt in "$question" "$unknown"; do
  for backend in embedded simulator; do
    "$ptc_bin" solve --server "$grpc" --backend "$backend" --n 12 --seed 77 --json \
      --prompt "$prompt" >"$tmp/$backend.json"
  done
  python3 - "$tmp/embedded.json" "$tmp/simulator.json" <<'PY' || fail=1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def chains(r):
    return [(c.get("answer", ""), c.get("finishReason", c.get("finish_reason", "")))
            for c in sorted(r["chains"], key=lambda c: c.get("index", 0))]
ca, cb = chains(a), chains(b)
assert len(ca) == 12, f"embedded: {len(ca)} chains"
assert ca == cb, f"chains differ:\n embedded  {ca}\n simulator {cb}"
assert a.get("answer") == b.get("answer"), (a.get("answer"), b.get("answer"))
print(f"same {len(ca)} chains, answer {a.get('answer')!r}: {[x for x, _ in ca]}")
PY
done
exit $fail
