"""What the events-security marts read: the dbt relations and the three fact sources."""

from __future__ import annotations

SOURCES: tuple[str, ...] = ("police_mains_courantes", "marins_pompiers_interventions", "csu_evenements")
DAY_TYPES: tuple[str, ...] = ("semaine", "week_end", "ferie")
FACTS = "int_securite_evenements__faits_lieu_heure"
VENUES = "int_securite_evenements__lieux"
COVERAGE = "int_securite_evenements__couverture"
RAIN = "int_securite_evenements__pluie_heure"
CALENDAR = "securite_evenements_calendrier"
INPUTS: tuple[str, ...] = (CALENDAR, VENUES, FACTS, COVERAGE, RAIN)
