"""Partner-feed and use-case declarations, loaded from the YAML files beside this module.

These declarations are the single source of truth: ingestion, contracts, the simulator, freshness,
retention and the open-data catalogue read them; nothing restates them by hand. The typed models
live in :mod:`orchestration.core.catalog.models` (and the use cases' parameters in
:mod:`orchestration.core.catalog.parameters`); this module reads the files and turns a refused
declaration into a :class:`CatalogError` naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from orchestration.core.catalog.models import (
    COLUMN_CATEGORIES,
    PRIVACY_TREATMENTS,
    PUBLICATION_LEVELS,
    REFUSED_COLUMN_CATEGORIES,
    ColumnSpec,
    Delivery,
    FeedFormat,
    FeedSpec,
    MartSpec,
    ModelCard,
    OpenDataset,
    Privacy,
    Retention,
    UseCase,
)
from orchestration.core.catalog.parameters import Parameters

__all__ = [
    "CATALOG_DIR",
    "COLUMN_CATEGORIES",
    "PRIVACY_TREATMENTS",
    "PUBLICATION_LEVELS",
    "REFUSED_COLUMN_CATEGORIES",
    "CatalogError",
    "ColumnSpec",
    "Delivery",
    "FeedFormat",
    "FeedSpec",
    "MartSpec",
    "ModelCard",
    "OpenDataset",
    "Parameters",
    "Privacy",
    "Retention",
    "UseCase",
    "check_unique_marts",
    "feed",
    "feeds",
    "load_feed",
    "load_use_case",
    "marts",
    "open_datasets",
    "use_cases",
]

CATALOG_DIR = Path(__file__).resolve().parent
Model = TypeVar("Model", bound=BaseModel)


class CatalogError(ValueError):
    """A declaration is inconsistent (unknown key, wrong type, rule broken...)."""


def _where(loc: Sequence[int | str], data: Any) -> str:
    """A readable field path: list items that declare a ``name`` are shown by it (``columns[jour]``)."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            node = node[step]
            label = node.get("name") if isinstance(node, dict) else None
            item = f"[{label if label is not None else step}]"
            if parts:
                parts[-1] += item
            else:
                parts.append(item)
            continue
        node = node.get(step) if isinstance(node, dict) else None
        parts.append(str(step))
    return ".".join(parts)


def _validated(model: type[Model], data: Any, source: str) -> Model:
    """``model`` from ``data`` read in ``source``; a refusal names the file, each field and why."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            where = _where(error["loc"], data)
            lines.append(f"{source}: {where + ': ' if where else ''}{error['msg']}")
        raise CatalogError("\n".join(lines)) from exc


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_feed(path: Path) -> FeedSpec:
    """One feed declaration file, validated; its ``name`` must equal the file name."""
    spec = _validated(FeedSpec, _load_yaml(path), path.name)
    if spec.name != path.stem:
        raise CatalogError(f"{path.name}: declares feed {spec.name!r}: file and name must match")
    return spec


def load_use_case(path: Path) -> UseCase:
    """One use-case declaration file, validated (its parameters with the use case's own model)."""
    uc = _validated(UseCase, _load_yaml(path), path.name)
    if uc.name != path.stem:
        raise CatalogError(f"{path.name}: declares use case {uc.name!r}: file and name must match")
    return uc


@cache
def feeds() -> dict[str, FeedSpec]:
    """All declared partner feeds, by name."""
    found = {}
    for path in sorted((CATALOG_DIR / "feeds").glob("*.yaml")):
        spec = load_feed(path)
        found[spec.name] = spec
    return found


def feed(name: str) -> FeedSpec:
    """One partner feed declaration."""
    return feeds()[name]


def check_unique_marts(declared: Sequence[UseCase]) -> None:
    """Mart names (and open dataset ids) are unique across use cases: they name tables and files."""
    owner: dict[str, str] = {}
    datasets: dict[str, str] = {}
    for uc in declared:
        for mart in uc.marts:
            if mart.name in owner:
                raise CatalogError(f"mart {mart.name!r} is declared by {owner[mart.name]} and {uc.name}")
            owner[mart.name] = uc.name
        for dataset in uc.open_data:
            if dataset.dataset in datasets:
                raise CatalogError(f"open dataset {dataset.dataset!r} is declared by {datasets[dataset.dataset]} and {uc.name}")
            datasets[dataset.dataset] = uc.name


@cache
def use_cases() -> dict[str, UseCase]:
    """All declared use cases, by name."""
    found = {}
    for path in sorted((CATALOG_DIR / "use_cases").glob("*.yaml")):
        uc = load_use_case(path)
        found[uc.name] = uc
    check_unique_marts(list(found.values()))
    return found


def marts() -> dict[str, MartSpec]:
    """Every declared mart of every use case, by name (names are unique across use cases)."""
    return {mart.name: mart for uc in use_cases().values() for mart in uc.marts}


def open_datasets() -> dict[str, OpenDataset]:
    """Every open dataset declared by any use case, by dataset id."""
    return {d.dataset: d for uc in use_cases().values() for d in uc.open_data}
