#!/usr/bin/env bash
# The headline figures of README.md and docs/RESULTS.md equal the committed reports under
# docs/runs (tools/check_figures.py: each figure carries a <!-- fig: RUN PATH --> citation), and
# the check itself refuses a made-up mismatch (--self-test). ctest runs it from the repository
# root: bash tests/figures_check.sh <murmur binary> (the binary is not needed).
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" tools/check_figures.py --self-test
exec "$py" tools/check_figures.py .
