# The two commands of the README. Both set up (or refresh) the environment themselves.
.PHONY: demo test setup bench

setup:
	@bash infra/bootstrap.sh

## Simulate 90 days of partner drops, run the whole pipeline in-process, serve Dagster + apps.
demo: setup
	@.venv/bin/observatoire demo

## The whole test suite (unit, pipeline on a generated lake, apps in AppTest and Chromium).
test: setup
	@bash infra/install-browser.sh
	@.venv/bin/pytest

## Benchmark of the walking skeleton (not a test): prints rows/s, wall time, peak memory.
bench: setup
	@.venv/bin/python infra/benchmarks/bench_slice.py
