"""Shapes of the events-security marts, read by their analytics and by their quality suites.

Here, in the core, so that ``quality`` does not import ``orchestration.analytics`` (one
dependency direction, see the import-linter contract in pyproject.toml).
"""

SOURCES: tuple[str, ...] = ("police_mains_courantes", "marins_pompiers_interventions", "csu_evenements")
DAY_TYPES: tuple[str, ...] = ("semaine", "week_end", "ferie")

EXCESS_COLUMNS = ["evenement_id", "session", "jour", "heure_locale", "heure_relative", "segment", "code_type_evenement", "code_lieu",
                  "jauge_attendue", "source", "observe", "reference", "nb_heures_reference", "exces", "chevauchement"]
FORECAST_COLUMNS = ["evenement_id", "session", "jour", "heure_locale", "heure_relative", "segment", "code_type_evenement", "code_lieu",
                    "jauge_attendue", "type_jour", "pluie", "planifie", "source", "reference_attendue", "exces_attendu", "exces_bas",
                    "exces_haut", "faits_attendus", "faits_haut"]
STAFFING_COLUMNS = ["evenement_id", "session", "jour", "heure_locale", "heure_relative", "code_type_evenement", "code_lieu",
                    "jauge_attendue", "planifie", "faits_supplementaires_haut", "agents", "agents_selon_faits", "agents_minimum_jauge",
                    "barrieres", "interventions_secours_haut"]
QUALITY_COLUMNS = ["perimetre", "indicateur", "valeur", "unite", "commentaire"]
