#!/bin/sh
# The OpenAI adapter against the OpenAI OpenAPI document: request bodies and stream fixtures
# validated with ajv (JSON Schema 2020-12), answers from a Prism mock server decoded (see
# conformance.mjs). Usage:
#   openapi_conformance_test.sh TOOL OPENAPI_YAML WORKDIR [PRISM_BACKEND_TEST]
# Installs ajv, ajv-formats, js-yaml and @stoplight/prism-cli into WORKDIR/node_modules once (from
# the npm registry); exits 77 (skipped) when the document is missing or npm cannot install them.
set -u
tool=$1
spec=$2
workdir=$3
backend_test=${4:-}
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$spec" ]; then
  echo "skipped: no OpenAPI document at $spec"
  exit 77
fi
mkdir -p "$workdir"
if [ ! -f "$workdir/node_modules/ajv/package.json" ] ||
   [ ! -f "$workdir/node_modules/ajv-formats/package.json" ] ||
   [ ! -f "$workdir/node_modules/js-yaml/package.json" ] ||
   [ ! -x "$workdir/node_modules/.bin/prism" ]; then
  [ -f "$workdir/package.json" ] || echo '{"private": true}' > "$workdir/package.json"
  if ! (cd "$workdir" && npm install --no-audit --no-fund --loglevel=error \
          ajv@8 ajv-formats@3 js-yaml@4 @stoplight/prism-cli@5); then
    echo "skipped: npm install failed"
    exit 77
  fi
fi
exec node "$here/conformance.mjs" "$tool" "$spec" "$workdir" $backend_test
