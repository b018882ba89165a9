#!/usr/bin/env bash
# Create or refresh everything the project needs, from the lock file, on a fresh machine.
# Idempotent: a second call takes a few seconds. Nothing is downloaded at run time afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
UV_VERSION="0.13.9"
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 DO_NOT_TRACK=1

# 1. uv, pinned, in a tool venv of its own (the project venv stays exactly the lock).
if [ ! -x .tools/uv/bin/uv ] || [ "$(.tools/uv/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "bootstrap: installing uv $UV_VERSION into .tools/uv"
  "$PYTHON" -m venv .tools/uv
  .tools/uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

# 2. The project virtualenv, exactly as locked (dev group included: tests need it).
.tools/uv/bin/uv sync --frozen --quiet --python "$PYTHON"
bash infra/compile-bytecode.sh .venv  # bytecode once per lock (the script says why)

# 3. DuckDB extensions from their pinned wheels into .duckdb_extensions, and the dbt manifest.
.venv/bin/python -c "from orchestration.defs.transform.project import ensure_manifest; ensure_manifest()"
echo "bootstrap: environment ready (.venv)"
