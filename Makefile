# The two commands of the README. Both set up (or refresh) the environment themselves.
.PHONY: demo test check setup bench check-unit check-lint check-sql check-defs
VENV := .venv/bin
# Each step of `make check` prints its duration (wall, CPU).
TIMED = /usr/bin/time -f "check: $@ done in %e s wall, %U+%S s CPU"

setup:
	@bash infra/bootstrap.sh

## Simulate 90 days of partner drops, run the whole pipeline in-process, serve Dagster + apps.
demo: setup
	@.venv/bin/observatoire demo

## The whole test suite (unit, pipeline on a generated lake, apps in AppTest and Chromium), on
## TEST_WORKERS processes (pytest-xdist): each shared lake is built once and its tests run in one
## worker, the costliest groups first (tests/conftest.py). `TEST_WORKERS=0` runs serially.
TEST_WORKERS ?= 2
test: setup
	@bash infra/install-browser.sh
	@bash infra/install-spark.sh
	@.venv/bin/pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=15

## The quick loop (about a minute): lint, SQL style, the fast unit tests, definitions load, dbt parse.
## The slow tests (tests/conftest.py: SLOW_UNIT_TESTS, and every pipeline test) stay in `make test`.
check: setup  # the unit tests, the longest part, start first; the rest runs beside them
	@$(MAKE) --no-print-directory -j2 --output-sync=target check-unit check-lint check-sql check-defs

check-lint:
	@$(TIMED) $(VENV)/ruff check --no-cache --output-format=concise .

check-sql:  # from dbt_project/, where .sqlfluff and .sqlfluffignore are
	@cd dbt_project && $(TIMED) ../$(VENV)/sqlfluff lint models macros tests --processes 2 --disable-progress-bar --nocolor

# The unit tests on two workers too: alone they kept one core busy for 54 s while the other
# ran lint, SQL style and definitions in about 28 s, then idled (make check 57.3 -> 48 s).
check-unit:  # the import layers (lint-imports) are a unit test
	@$(TIMED) $(VENV)/pytest tests/unit -q -p no:cacheprovider -m "not slow" -x -n 2 --dist loadgroup

check-defs:
	@$(TIMED) $(VENV)/python -c "from orchestration.definitions import build_definitions; \
	  print('definitions load:', len(build_definitions('lake').resolve_all_asset_keys()), 'assets')"
	@# Into a folder of its own: target/manifest.json is what the definitions are built from, and a
	@# rewrite (new generated_at) changed the code digest `run`'s fast path compares, under the unit
	@# tests running beside it (test_the_fast_path_imports_no_dagster failed now and then).
	@out=$$(mktemp -d) && cd dbt_project && $(TIMED) ../$(VENV)/dbt parse --quiet --no-partial-parse --project-dir . \
	  --profiles-dir . --target-path "$$out"; status=$$?; rm -rf "$$out"; exit $$status

## Benchmark of the walking skeleton (not a test): prints rows/s, wall time, peak memory.
bench: setup
	@.venv/bin/python infra/benchmarks/bench_slice.py
