#!/usr/bin/env bash
# deploy/k8s against the Kubernetes API schemas, offline (k8s_schema/validate.mjs). The npm
# packages (pinned by k8s_schema/package-lock.json) are installed once into WORK_DIR from the npm
# registry. Skipped (skip_test) when node or npm is not installed.
# Usage: k8s_schema_check.sh WORK_DIR
set -euo pipefail
work=${1:?usage: $0 WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/../common/skip.sh"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  skip_test "node/npm not installed"
fi
mkdir -p "$work"
if ! cmp -s "$here/k8s_schema/package-lock.json" "$work/package-lock.json" ||
   [ ! -d "$work/node_modules" ]; then
  cp "$here/k8s_schema/package.json" "$here/k8s_schema/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/k8s_schema/validate.mjs" "$work/"
node "$work/validate.mjs" "$src/deploy/k8s"
