#!/usr/bin/env bash
# `promtool check config` and `promtool check rules` on deploy/prometheus/. Exits 77 (skipped)
# only when promtool is not installed (scripts/install-deps.sh installs Debian's prometheus).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  echo "SKIP: promtool not installed"
  exit 77
fi
cd "$src/deploy/prometheus"
"$promtool" check config prometheus.yml
"$promtool" check rules rules/*.yml
