"""Builders that turn catalog declarations into Dagster definitions; ``orchestration/defs/`` calls them."""
