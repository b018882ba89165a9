"""What the events-security marts read: the dbt relations and the three fact sources."""

from __future__ import annotations

from orchestration.core.mart_shapes.securite_evenements import DAY_TYPES, SOURCES

__all__ = ["CALENDAR", "COVERAGE", "DAY_TYPES", "FACTS", "INPUTS", "RAIN", "SOURCES", "VENUES"]

FACTS = "int_securite_evenements__faits_lieu_heure"
VENUES = "int_securite_evenements__lieux"
COVERAGE = "int_securite_evenements__couverture"
RAIN = "int_securite_evenements__pluie_heure"
CALENDAR = "securite_evenements_calendrier"
INPUTS: tuple[str, ...] = (CALENDAR, VENUES, FACTS, COVERAGE, RAIN)
