"""Expectations the fit-quality mart ``securite_evenements_qualite`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

# Always present, also before any partner delivers: the window and the event counts say whether
# there was enough data (0 events observed or 0 training sessions = no fit, no backtest).
REQUIRED = ["fenetre_jours", "nb_evenements_observes", "nb_evenements_planifies", "nb_sessions_apprentissage"]
# What the model card promises once past events are observed: the fit and the backtest of the
# model AND of the naive baseline. A source without them says so (nb_heures_apprentissage = 0,
# backtest_nb_heures = 0), so they are not required on a window too short to support them.
MODEL_INDICATORS = ["dispersion", "backtest_mae_heure_modele", "backtest_mae_heure_naif", "backtest_biais_heure_modele",
                    "backtest_biais_heure_naif"]
# Every indicator the mart may hold.
INDICATORS = [*REQUIRED, *MODEL_INDICATORS, "nb_heures_apprentissage", "backtest_nb_heures", "deviance", "part_profil",
              "taux_pour_1000_modele", "taux_pour_1000_modele_ic_bas", "taux_pour_1000_modele_ic_haut", "irr_week_end", "irr_ferie",
              "irr_pluie", "taux_pour_1000_observe", "taux_pour_1000_observe_ic_bas", "taux_pour_1000_observe_ic_haut",
              "backtest_mae_session_modele", "backtest_mae_session_naif", "backtest_biais_session_modele", "backtest_biais_session_naif"]


def expectations() -> list[gx.expectations.Expectation]:
    """Long format, unique (perimetre, indicateur), the promised indicators present, finite values."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=len(REQUIRED)),
        gx.expectations.ExpectColumnDistinctValuesToContainSet(column="indicateur", value_set=REQUIRED),
        gx.expectations.ExpectColumnValuesToBeInSet(column="indicateur", value_set=INDICATORS),
        gx.expectations.ExpectColumnValuesToBeBetween(column="valeur", min_value=-1e6, max_value=1e6),
    ]
