#!/bin/sh
# Checks ptc-simulator's responses against the OpenAI OpenAPI document with ajv (JSON Schema
# 2020-12). Usage: openapi_schema_test.sh PTC_SIMULATOR OPENAPI_YAML WORKDIR
# Installs ajv, ajv-formats and js-yaml into WORKDIR/node_modules once (from the npm registry);
# exits 77 (skipped) when the document is missing or the packages cannot be installed 
# (skip_test).
set -u
simulator=$1
spec=$2
workdir=$3
here=$(cd "$(dirname "$0")" && pwd)

. "$here/../../../common/skip.sh"
. "$here/../../../common/npm_packages.sh"
[ -f "$spec" ] || skip_test "no OpenAPI document at $spec"
npm_packages "$workdir" ajv/package.json ajv-formats/package.json js-yaml/package.json \
  -- ajv@8 ajv-formats@3 js-yaml@4
exec node "$here/validate_openapi.mjs" "$simulator" "$spec" "$workdir"
