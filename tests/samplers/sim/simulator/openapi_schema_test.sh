#!/bin/sh
# Checks ptc-simulator's responses against the OpenAI OpenAPI document with ajv (JSON Schema
# 2020-12). Usage: openapi_schema_test.sh PTC_SIMULATOR OPENAPI_YAML WORKDIR
# Installs ajv, ajv-formats and js-yaml into WORKDIR/node_modules once (from the npm registry);
# exits 77 (skipped) when the document is missing or the packages cannot be installed.
set -u
simulator=$1
spec=$2
workdir=$3
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$spec" ]; then
  echo "skipped: no OpenAPI document at $spec"
  exit 77
fi
mkdir -p "$workdir"
if [ ! -f "$workdir/node_modules/ajv/package.json" ] ||
   [ ! -f "$workdir/node_modules/ajv-formats/package.json" ] ||
   [ ! -f "$workdir/node_modules/js-yaml/package.json" ]; then
  [ -f "$workdir/package.json" ] || echo '{"private": true}' > "$workdir/package.json"
  if ! (cd "$workdir" && npm install --no-audit --no-fund --loglevel=error \
          ajv@8 ajv-formats@3 js-yaml@4); then
    echo "skipped: npm install failed"
    exit 77
  fi
fi
exec node "$here/validate_openapi.mjs" "$simulator" "$spec" "$workdir"
