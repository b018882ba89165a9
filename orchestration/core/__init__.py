"""Dagster-free core: catalog, contracts, settings, ingestion, lake, governance, publishing."""
