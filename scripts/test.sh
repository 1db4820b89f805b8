#!/usr/bin/env bash
# Installs, builds and runs every test (GoogleTest suites through ctest, and the format check).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
cd build
ctest --output-on-failure -j "${PTC_TEST_JOBS:-2}" --timeout 600
