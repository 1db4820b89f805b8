#!/usr/bin/env bash
# Sourced by test scripts that start servers: a scratch directory $tmp, and the processes whose
# pids are added to `pids` are killed and reaped (and $tmp removed) when the script exits.
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Waits (at most 10 s) for "listening on" in $1, a process's output, and prints that line; on
# timeout prints the output to stderr and fails.
listening() {
  for _ in $(seq 100); do
    grep -qs "listening on" "$1" && break
    sleep 0.1
  done
  grep -m1 "listening on" "$1" || { cat "$1" >&2; return 1; }
}
