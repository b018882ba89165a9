"""The declared rules of the events-security use case, typed once at the boundary.

:func:`parameters` is the only place that turns the declaration of
``orchestration/core/catalog/use_cases/securite_evenements.yaml`` (typed by the catalog) into the
hashable :class:`Params` every other module reads. Two declared values are not read because the code implements only one
choice: ``doctrine.arrondi`` (agents and barriers are always rounded up) and
``backtest.methode`` (the backtest is always a rolling origin).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.core.catalog.parameters import SecuriteEvenementsParameters


@dataclass(frozen=True)
class Doctrine:
    """The service's staffing doctrine (``parameters.doctrine``)."""

    sources_agents: tuple[str, ...]  # expected facts that call for agents
    source_secours: str  # shown for the fire brigade, no agents
    agents_par_fait_attendu: float
    agents_min_pour_1000: float
    presence_avant_h: int
    presence_apres_h: int
    barrieres_pour_1000: float
    barrieres_min_par_lieu: float
    barrieres_pose_h: int
    barrieres_depose_h: int


@dataclass(frozen=True)
class Params:
    """The declared rules the analytics read (frozen and hashable: part of the memo key)."""

    rayon_m: float
    heures_avant: int
    heures_apres: int
    semaines_reference: int
    semaines_recherche: int
    poids_moyenne_horaire: float
    seuil_multi_jours_h: float
    seuil_pluie_mm: float
    penalite_type: float
    penalite_autres: float
    niveau_intervalle: float
    backtest_entrainement_jours: int
    backtest_pas_jours: int
    doctrine: Doctrine


def parameters(raw: SecuriteEvenementsParameters | Mapping[str, Any]) -> Params:
    """The use case's declared parameters -> :class:`Params`, the hashable memo-key form.

    The declaration arrives typed (:class:`SecuriteEvenementsParameters`, validated by the catalog);
    a plain mapping (unit tests) is validated through the same model first.
    """
    d = raw if isinstance(raw, SecuriteEvenementsParameters) else SecuriteEvenementsParameters.model_validate(raw)
    doctrine = d.doctrine
    return Params(
        rayon_m=float(d.rayon_m),
        heures_avant=d.fenetre.heures_avant,
        heures_apres=d.fenetre.heures_apres,
        semaines_reference=d.baseline.semaines_reference,
        semaines_recherche=d.baseline.semaines_recherche,
        poids_moyenne_horaire=float(d.baseline.poids_moyenne_horaire),
        seuil_multi_jours_h=float(d.fenetre.seuil_multi_jours_h),
        seuil_pluie_mm=d.modele.seuil_pluie_mm,
        penalite_type=d.modele.penalite_type,
        penalite_autres=d.modele.penalite_autres,
        niveau_intervalle=d.modele.niveau_intervalle,
        backtest_entrainement_jours=d.backtest.entrainement_min_jours,
        backtest_pas_jours=d.backtest.pas_jours,
        doctrine=Doctrine(
            sources_agents=tuple(doctrine.sources_agents),
            source_secours=doctrine.source_secours,
            agents_par_fait_attendu=float(doctrine.agents_par_fait_attendu),
            agents_min_pour_1000=float(doctrine.agents_min_pour_1000),
            presence_avant_h=doctrine.presence_avant_h,
            presence_apres_h=doctrine.presence_apres_h,
            barrieres_pour_1000=float(doctrine.barrieres_pour_1000),
            barrieres_min_par_lieu=float(doctrine.barrieres_min_par_lieu),
            barrieres_pose_h=doctrine.barrieres_pose_h,
            barrieres_depose_h=doctrine.barrieres_depose_h,
        ),
    )


def segments(p: Params) -> list[str]:
    """Profile segments: each hour before the start, the event itself, the end hour, each hour after."""
    return [f"avant_{k}" for k in range(p.heures_avant, 0, -1)] + ["pendant", "fin"] + [f"apres_{k}" for k in range(1, p.heures_apres + 1)]
