#!/usr/bin/env bash
# Peer comparison, edgerun against ONNX Runtime: see bench/README.md and bench/models/compare.mjs for options.
set -euo pipefail
command -v node >/dev/null 2>&1 || { echo "compare.sh: node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
exec node "$(dirname "$0")/compare.mjs" "$@"
