"""The sizes of the planted effects: ``effects.default.yaml`` merged with the caller's file or dict.

``load_effects(None | path | dict)`` returns the merged, validated configuration. Validation is
strict (unknown sections, negative sizes, categories a feed does not declare, unknown quartiers)
so a typo in an effects file fails before anything is written instead of silently planting
nothing. The optional ``dirt`` section is returned apart (see :func:`simulator.dirt.DirtRates`).
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from orchestration.core.catalog import feeds
from simulator.geography import marseille

DEFAULT_EFFECTS_FILE = Path(__file__).with_name("effects.default.yaml")
SECTIONS = ("lighting_outage", "events", "schools", "rain", "night_life", "anomalies", "public_space")
BAAC = "baac"  # effect key for the road accidents of both BAAC layouts

# Which declared column holds the categories an effect refers to, per feed.
CATEGORY_COLUMN: dict[str, str] = {
    "police_mains_courantes": "code_nature",
    "csu_evenements": "type_evenement",
    "allo_mairie_demandes": "thematique",
    "marins_pompiers_interventions": "motif",
    "aphm_urgences": "motif",
    "signalements_citoyens": "categorie",
}


class EffectsError(ValueError):
    """An effects file is inconsistent with the catalog or with itself."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _read(source: Path | str | dict[str, Any] | None) -> dict[str, Any]:
    if source is None:
        return {}
    if isinstance(source, dict):
        return source
    with Path(source).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _declared(feed_name: str) -> set[str]:
    return set(feeds()[feed_name].column(CATEGORY_COLUMN[feed_name]).codes or {})


def _check_categories(section: str, mapping: dict[str, Any]) -> None:
    for feed_name, cats in mapping.items():
        if feed_name == BAAC:
            continue
        if feed_name not in CATEGORY_COLUMN:
            raise EffectsError(f"{section}: feed {feed_name!r} has no category column the effects know")
        names = list(cats) if isinstance(cats, (dict, list)) else [cats]
        unknown = set(map(str, names)) - _declared(feed_name)
        if unknown:
            raise EffectsError(f"{section}: {feed_name} does not declare {sorted(unknown)}")


def _check_positive(path: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _check_positive(f"{path}.{key}", inner)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _check_positive(f"{path}[{i}]", inner)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 and "before_start" not in path and "after_end" not in path:
        raise EffectsError(f"{path}: sizes must be >= 0, got {value}")


def validate(config: dict[str, Any]) -> None:
    """Raise :class:`EffectsError` if ``config`` cannot be honoured."""
    unknown = set(config) - set(SECTIONS)
    if unknown:
        raise EffectsError(f"unknown effects section(s) {sorted(unknown)}; known: {list(SECTIONS)}")
    missing = set(SECTIONS) - set(config)
    if missing:
        raise EffectsError(f"effects section(s) missing: {sorted(missing)}")
    for section in SECTIONS:
        _check_positive(section, {k: v for k, v in config[section].items() if k != "bursts"})
    lo = config["lighting_outage"]
    _check_categories("lighting_outage.categories", lo["categories"])
    _check_categories("lighting_outage.report_category", lo["report_category"])
    ev = config["events"]
    _check_categories("events.categories", ev["categories"])
    profile = ev["profile"]
    total = sum(profile["before_start"].values()) + profile["during"] + sum(profile["after_end"].values())
    if abs(total - 1.0) > 1e-6:
        raise EffectsError(f"events.profile shares sum to {total}, not 1")
    _check_categories("schools.categories", config["schools"]["categories"])
    _check_categories("rain.categories", config["rain"]["categories"])
    nl = config["night_life"]
    _check_categories("night_life.categories", nl["categories"])
    codes = set(marseille().codes.tolist())
    bad = set(map(str, nl["quartiers"])) - codes
    if bad:
        raise EffectsError(f"night_life.quartiers: unknown quartier code(s) {sorted(bad)}")
    an = config["anomalies"]
    _check_categories("anomalies.candidates", an["candidates"])
    if float(an.get("min_extra_per_day") or 0) < 0:
        raise EffectsError("anomalies.min_extra_per_day must be >= 0")
    for burst in an.get("bursts") or []:
        needed = {"feed", "quartier", "category", "start", "days", "multiplier"}
        if set(burst) != needed:
            raise EffectsError(f"anomalies.bursts: each burst has exactly {sorted(needed)}, got {sorted(burst)}")
        _check_categories("anomalies.bursts", {burst["feed"]: [burst["category"]]})
        if str(burst["quartier"]) not in codes:
            raise EffectsError(f"anomalies.bursts: unknown quartier {burst['quartier']!r}")
        date.fromisoformat(str(burst["start"]))
    _check_categories("public_space.categories", config["public_space"]["categories"])


def load_effects(source: Path | str | dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(effects, dirt)``: the merged, validated effect sizes, and the optional ``dirt`` section."""
    defaults = _read(DEFAULT_EFFECTS_FILE)
    override = dict(_read(source))
    dirt = override.pop("dirt", None)
    config = _merge(defaults, override)
    for burst in config["anomalies"].get("bursts") or []:
        burst["start"] = str(burst["start"])  # YAML reads dates as dates; keep the truth JSON-able
        burst["quartier"] = str(burst["quartier"])
    config["night_life"]["quartiers"] = {str(k): v for k, v in config["night_life"]["quartiers"].items()}
    validate(config)
    return config, dirt
