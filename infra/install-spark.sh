#!/usr/bin/env bash
# The Spark side of dbt (dbt-spark `session`, pyspark, LakeSail) in a virtualenv of its own,
# .venv-spark, exactly as locked (the `spark` dependency group only). Kept apart from .venv
# because with pyspark importable every `import pandera` imports pyspark.pandas (slow, and it
# patches pandas). Used by the cluster tests (tests/cluster/test_spark_models.py). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 DO_NOT_TRACK=1
[ -x .tools/uv/bin/uv ] || bash infra/bootstrap.sh
UV_PROJECT_ENVIRONMENT="$PWD/.venv-spark" .tools/uv/bin/uv sync --frozen --quiet --python "$PYTHON" \
  --only-group spark --no-install-project
bash infra/compile-bytecode.sh .venv-spark
