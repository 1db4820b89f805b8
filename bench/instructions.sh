#!/bin/sh
# Instructions per chain of ptc-server, counted by callgrind: a measure that CPU steal and other
# load on the machine do not move (runs of the same binary agree within 0.6%), for
# comparing two builds when timed runs on a shared VM are too noisy to show a few percent.
# User-space instructions only: the kernel's share (socket calls, wake-ups) and lock contention
# are not counted, so this complements ptc-bench's chains per CPU-second, it does not replace it.
#
#   bench/instructions.sh [SERVER_BIN] [CALLS]
#
# Starts the fake backend and SERVER_BIN (default: build-bench's ptc-server) under
# `valgrind --tool=callgrind`, sends 8 warm-up calls and then CALLS (default 60) Solve calls of
# N = 16 with the `ptc` client (four at a time), and prints the server's instructions over those
# calls divided by the chains they ran. The profile is left in $PTC_BENCH_OUT (default
# out/instructions) for callgrind_annotate. Each `ptc solve` opens its own gRPC connection, so
# the figure includes a connection setup per call (ptc-bench's load keeps one).
set -eu
cd "$(dirname "$0")/.."
build=${PTC_BENCH_BUILD:-build-bench}
server=${1:-$build/service/ptc-server}
calls=${2:-60}
out=${PTC_BENCH_OUT:-out/instructions}
client=$build/service/client/ptc
fake=$build/bench/fake_backend/ptc-fake-backend
bench=$build/bench/ptc_bench/ptc-bench
for bin in "$server" "$client" "$fake" "$bench"; do
  [ -x "$bin" ] || { echo "instructions.sh: $bin not built (bench/run.sh builds it)" >&2; exit 2; }
done
if ! command -v valgrind >/dev/null; then
  echo "instructions.sh: installing valgrind" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q valgrind >&2
fi
mkdir -p "$out"
rm -f "$out"/callgrind.*

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fake_port=$(free_port)
ptc_port=$(free_port)
# ptc-bench's own server config (the one its measures use), on these ports.
"$bench" --print_server_config="http://127.0.0.1:$fake_port" > "$out/server.pbtxt"

"$fake" --listen="127.0.0.1:$fake_port" >"$out/fake.log" 2>&1 &
fake_pid=$!
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p" \
  "$server" --config="$out/server.pbtxt" --listen="127.0.0.1:$ptc_port" >"$out/server.log" 2>&1 &
server_pid=$!
trap 'kill $fake_pid $server_pid 2>/dev/null || true' EXIT

solve() {
  "$client" solve --server "127.0.0.1:$ptc_port" --backend fake --n "$1" --max-tokens 1024 \
    --timeout-s 120 --prompt "Which is it? A) 1 B) 2 C) 3 D) 4" >/dev/null
}
ready=0
for _ in $(seq 120); do
  if solve 1 2>/dev/null; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || { echo "instructions.sh: ptc-server did not answer (see $out/server.log)" >&2; exit 1; }
# Calls in groups of four at once (waiting for those four only: the servers run in the
# background too).
run_calls() {
  i=0
  while [ "$i" -lt "$1" ]; do
    pids=""
    for _ in 1 2 3 4; do
      solve 16 &
      pids="$pids $!"
    done
    for pid in $pids; do wait "$pid"; done
    i=$((i + 4))
  done
}
run_calls 8
callgrind_control -z "$server_pid" >/dev/null 2>&1
calls=$(( (calls + 3) / 4 * 4 ))
run_calls "$calls"
callgrind_control -d "$server_pid" >/dev/null 2>&1
dump=$(ls "$out"/callgrind.*.1)
total=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
echo "instructions.sh: $(basename "$server"): $total instructions over $calls calls of N = 16:" \
  "$((total / (calls * 16))) per chain (profile: $dump)"
