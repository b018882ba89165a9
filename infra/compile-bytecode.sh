#!/usr/bin/env bash
# Bytecode for every module a virtualenv installed, once per lock: `infra/compile-bytecode.sh .venv`.
# uv installs without it, and with PYTHONDONTWRITEBYTECODE set (as on these machines) each process
# would recompile what it imports: import CPU halved for .venv; for .venv-spark each dbt-spark
# process spent 3 CPU-s compiling (test_spark_incremental.py 47.5 -> 33.5 CPU-s with bytecode).
# - site-packages without the packages' own test suites (`tests/` folders: a fifth of the code,
#   never imported here): 18 -> 14 s on a fresh clone;
# - the venv's bin/*.py too: a console script runs with bin/ first on sys.path, so daff's
#   bin/daff.py (400 kB) shadowed the daff package and was compiled in every dbt process
#   (0.15-0.25 s; dbt's start-up 3.63 -> 3.52 s in paired runs).
# Done again only when the lock changed (a stamp in the venv): even up to date, compileall stats
# every file (~3.5 s), which every `make check` would pay.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$1"
STAMP="$VENV/.bytecode-for-lock"
WANTED="$(sha256sum uv.lock | cut -d' ' -f1) site-packages+bin"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANTED" ]; then
  "$VENV/bin/python" -m compileall -q -j 0 -x '/tests/' "$VENV"/lib/python*/site-packages >/dev/null
  "$VENV/bin/python" -m compileall -q -l "$VENV/bin" >/dev/null
  echo "$WANTED" > "$STAMP"
fi
