#!/bin/sh
# The OpenAI adapter against the OpenAI OpenAPI document: request bodies and stream fixtures
# validated with ajv (JSON Schema 2020-12), answers from a Prism mock server decoded (see
# conformance.mjs). Usage:
#   openapi_conformance_test.sh TOOL OPENAPI_YAML WORKDIR [PRISM_BACKEND_TEST]
# Installs ajv, ajv-formats, js-yaml and @stoplight/prism-cli into WORKDIR/node_modules once (from
# the npm registry); exits 77 (skipped) when the document is missing or npm cannot install them
# (skip_test).
set -u
tool=$1
spec=$2
workdir=$3
backend_test=${4:-}
here=$(cd "$(dirname "$0")" && pwd)

. "$here/../../common/skip.sh"
. "$here/../../common/npm_packages.sh"
[ -f "$spec" ] || skip_test "no OpenAPI document at $spec"
npm_packages "$workdir" ajv/package.json ajv-formats/package.json js-yaml/package.json .bin/prism \
  -- ajv@8 ajv-formats@3 js-yaml@4 @stoplight/prism-cli@5
exec node "$here/conformance.mjs" "$tool" "$spec" "$workdir" $backend_test
