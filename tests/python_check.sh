#!/usr/bin/env bash
# The Python module's tests (tests/python/, pytest): `import murmur` answers as the CLI does.
#
#   bash tests/python_check.sh <path-to-murmur-binary>     (ctest runs it from the repo root)
#
# The module is <build>/python/murmur*.so, built with -DMURMUR_PYTHON=ON (./run does). Exits 77
# (ctest: skipped) when the build has no module or Debian's python3 has no pytest or numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
murmur_bin="$(realpath "${1:?usage: bash tests/python_check.sh <path-to-murmur-binary>}")"
module_dir="$(dirname "$murmur_bin")/python"
py=/usr/bin/python3
if ! compgen -G "$module_dir/murmur*.so" > /dev/null; then
  echo "python_check: no Python module in $module_dir (configure with -DMURMUR_PYTHON=ON): skipping"
  exit 77
fi
if ! "$py" -c 'import pytest, numpy' 2>/dev/null; then
  echo "python_check: $py cannot import pytest and numpy (Debian python3-pytest, python3-numpy): skipping"
  exit 77
fi
export MURMUR_BINARY="$murmur_bin" PYTHONPATH="$module_dir${PYTHONPATH:+:$PYTHONPATH}"
exec "$py" -m pytest -q -p no:cacheprovider tests/python
