#!/usr/bin/env bash
# `promtool check config` and `promtool check rules` on deploy/prometheus/. Skipped (skip_test)
# only when promtool is not installed (scripts/install-deps.sh installs Debian's prometheus).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
promtool=$(command -v promtool || true)
. "$src/tests/common/skip.sh"
[ -n "$promtool" ] || skip_test "promtool not installed"
cd "$src/deploy/prometheus"
"$promtool" check config prometheus.yml
"$promtool" check rules rules/*.yml
