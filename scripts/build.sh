#!/usr/bin/env bash
# Installs the dependencies (Debian 12 packages) and builds ptc with Ninja into build/.
# Usage: scripts/build.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
launcher=()
# ccache is optional: used when present, never installed here.
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DPTC_WERROR=ON "${launcher[@]}" "$@" >/dev/null
# Two jobs: the reference machine has 2 cores, and the gRPC headers make each job heavy.
cmake --build build -j "${PTC_BUILD_JOBS:-2}"
