#!/usr/bin/env bash
# Finds a python3 that can `import yaml` (Debian's python3-yaml, installed by
# scripts/install-deps.sh, is for /usr/bin/python3; a python3 earlier on PATH may have its own).
# With no arguments prints its path; with arguments runs it with them.
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then
    [ $# -eq 0 ] && { command -v "$p"; exit 0; }
    exec "$p" "$@"
  fi
done
echo "no python3 with the yaml module (apt-get install python3-yaml)" >&2
exit 1
