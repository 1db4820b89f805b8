#!/bin/sh
# Sourced by test scripts after ../common/skip.sh: npm_packages WORKDIR CHECK_PATH... -- PACKAGE@VERSION...
# Installs the packages into WORKDIR/node_modules from the npm registry unless every CHECK_PATH
# (relative to WORKDIR/node_modules) already exists. When they cannot be installed (no npm, no
# network) the calling test is skipped, or fails under PTC_REQUIRE_TEST_TOOLS=1 (skip_test).
npm_packages() {
  _work=$1
  shift
  _missing=
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    [ -e "$_work/node_modules/$1" ] || _missing=yes
    shift
  done
  [ "$#" -gt 0 ] && shift
  [ -z "$_missing" ] && return 0
  mkdir -p "$_work"
  [ -f "$_work/package.json" ] || echo '{"private": true}' > "$_work/package.json"
  if command -v npm >/dev/null &&
     (cd "$_work" && npm install --no-audit --no-fund --loglevel=error "$@"); then
    return 0
  fi
  skip_test "npm could not install $*"
}
