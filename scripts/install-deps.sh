#!/usr/bin/env bash
# Installs everything ptc needs to build, run and test on Debian 12. Idempotent: a second run
# installs nothing new. Run as root (or with sudo available).
# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz: also clang and libFuzzer, for scripts/fuzz.sh)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libboost1.81-dev prometheus-cpp-dev libre2-dev nlohmann-json3-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang-format libssl-dev libxgboost-dev libjemalloc-dev
  gnuplot-nox
  prometheus python3-yaml
)
# The JavaScript test tools (ajv, Prism, the Kubernetes schema validator, from the npm registry)
# run on Node.js: Debian's, unless the machine already has node and npm (e.g. from NodeSource,
# whose nodejs package conflicts with Debian's npm).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then PACKAGES+=(nodejs npm); fi
for arg in "$@"; do
  case "$arg" in
    # scripts/fuzz.sh: clang, its libFuzzer and sanitizer runtimes, llvm-symbolizer for reports
    --fuzz) PACKAGES+=(clang libclang-rt-dev llvm) ;;
    *) echo "usage: $0 [--fuzz]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
