"""Value domains of the events-security marts, read by their analytics and by their quality suites.

Here, in the core, so that ``quality`` does not import ``orchestration.analytics`` (one
dependency direction, see the import-linter contract in pyproject.toml). The marts' columns are
declared in the use case (``catalog/use_cases/securite_evenements.yaml``), not here.
"""

SOURCES: tuple[str, ...] = ("police_mains_courantes", "marins_pompiers_interventions", "csu_evenements")
DAY_TYPES: tuple[str, ...] = ("semaine", "week_end", "ferie")
