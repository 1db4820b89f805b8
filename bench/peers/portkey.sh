#!/bin/sh
# Installs the Portkey AI gateway (@portkey-ai/gateway, Node.js) from the npm registry into a
# cache directory, once, and prints that directory (ptc-bench --portkey_dir).
#
#   bench/peers/portkey.sh [DIR]     default DIR: ${XDG_CACHE_HOME:-$HOME/.cache}/ptc-bench/portkey
#
# Versions are pinned so that runs compare like with like. @hono/node-server is held at 1.14.0
# (inside the gateway's declared range ^1.3.3): with the newest 1.19.x the gateway answers every
# streamed completion with HTTP 500 ("TypeError: immutable" when it adds its headers to the
# upstream response), so it could not proxy streams at all.
set -eu
version=1.15.2
node_server=1.14.0
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/ptc-bench/portkey}
pkg="$dir/node_modules/@portkey-ai/gateway/package.json"
if ! grep -q "\"version\": \"$version\"" "$pkg" 2>/dev/null ||
   ! grep -q "\"version\": \"$node_server\"" "$dir/node_modules/@hono/node-server/package.json" \
     2>/dev/null; then
  command -v npm >/dev/null || { echo "portkey.sh: npm is not installed" >&2; exit 1; }
  mkdir -p "$dir"
  cat > "$dir/package.json" <<JSON
{"name": "ptc-bench-portkey", "private": true,
 "overrides": {"@hono/node-server": "$node_server"}}
JSON
  npm install --prefix "$dir" --no-audit --no-fund --silent "@portkey-ai/gateway@$version" >&2
fi
echo "$dir"
