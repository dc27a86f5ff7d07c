#!/usr/bin/env bash
# The code layout rules (tools/check_layout.py): file sizes, headers, layers, no preset-name
# branches. ctest runs it from the repository root: bash tests/layout_check.sh <murmur binary>
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" tools/check_layout.py .
