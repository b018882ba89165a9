"""Typed ``parameters:`` blocks, one model per use case, mirroring its YAML declaration.

The analytics of a use case read its declared rules (radii, windows, thresholds, doctrine) as
attributes of these models instead of dict keys, so a misspelt or missing key fails when the
catalog loads, naming the use-case file and the key. Descriptions repeat the comments of the
YAML files. Field types follow what the YAML writes (an ``int`` stays an ``int``), so
``model_dump()`` gives back the declaration exactly: the published model card repeats it verbatim.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class Parameters(BaseModel):
    """Base of every use case's parameters; on its own, the parameters of a use case that has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Block(Parameters):
    """A nested block of a parameters declaration (same rules: no unknown key, immutable)."""


Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]  # local "HH:MM"
Window = Annotated[list[Clock], Field(min_length=2, max_length=2)]  # [start, end)
Hour = Annotated[int, Field(ge=0, le=23)]
Codes = list[str]  # partner category codes
ByFeed = dict[str, Codes]  # feed name -> partner category codes
SchoolZone = Literal["A", "B", "C"]
Weekday = Literal["lundi", "mardi", "mercredi", "jeudi", "vendredi"]


# --- abords_scolaires --------------------------------------------------------------------------


class AbordsScolairesParameters(Parameters):
    """Parameters of ``abords_scolaires`` (incidents around schools at entry and exit times)."""

    rayon_m: int = Field(
        le=300,
        description="Analysis radius (m): the 150 m effect radius around the school plus the margin lost to "
        "the 50 m cell generalisation of both positions. Must stay <= 300 m (search bound in dbt).",
    )
    categories: ByFeed = Field(description="Categories relevant to school surroundings, by source (partner codes).")
    zone_vacances: SchoolZone = Field(description="académie d'Aix-Marseille (vacances-scolaires-france + holidays)")
    fenetres: dict[str, Window] = Field(description="School windows, local times [start, end).")
    fenetres_par_niveau: dict[str, dict[Weekday, list[str]]] = Field(
        description="Which windows each level holds on each weekday (écoles: four-day week since September "
        "2018; collèges and lycées: Wednesday morning, with a noon exit)."
    )
    autres_heures: Window = Field(description="daytime span whose non-window hours are the second reference")
    fenetres_placebo: dict[str, Window] = Field(description="windows with pupils in class: the fit-quality placebo")

    @model_validator(mode="after")
    def _levels_name_declared_windows(self) -> AbordsScolairesParameters:
        for level, days in self.fenetres_par_niveau.items():
            for day, windows in days.items():
                unknown = [w for w in windows if w not in self.fenetres]
                if unknown:
                    raise ValueError(f"fenetres_par_niveau.{level}.{day}: windows {unknown} are not in fenetres")
        return self


# --- espace_public -----------------------------------------------------------------------------


class EspacePublicChantiers(_Block):
    restrictions: list[str] = Field(description="worksite restrictions that disturb")
    jours_reference_avant_apres: int = Field(le=90, description="same place, this many days before and after (<= 90)")


class EspacePublicMarches(_Block):
    marge_avant_min: int = Field(description="complaints counted from this many minutes before opening...")
    marge_apres_min: int = Field(description="...to this many minutes after closing (setting up, cleaning)")


class EspacePublicQualite(_Block):
    rayon_anneau_placebo_m: int = Field(description="ring between rayon_plaintes_m and this: the placebo")


class EspacePublicParameters(Parameters):
    """Parameters of ``espace_public`` (occupation conflicts, complaints around worksites and markets)."""

    rayon_conflit_m: int = Field(
        le=500,
        description="Two occupations within this distance on the same day, at overlapping hours, compete for "
        "the same street (<= 500 m, the search bound in dbt).",
    )
    restrictions_sans_conflit: list[str] = Field(description="worksite restrictions that never conflict")
    rayon_plaintes_m: int = Field(
        le=300,
        description="Complaints within this distance of a worksite or market: the expected reach of the "
        "nuisance (~120 m) plus the margin lost to the 50 m cells of both positions (<= 300 m, search bound).",
    )
    categories: ByFeed = Field(description="complaint categories a worksite or market can cause, by source")
    chantiers: EspacePublicChantiers
    marches: EspacePublicMarches
    qualite: EspacePublicQualite


# --- securite_evenements -----------------------------------------------------------------------


class SecuriteEvenementsFenetre(_Block):
    heures_avant: int = Field(description="hours before the start hour")
    heures_apres: int = Field(description="hours after the end hour")
    seuil_multi_jours_h: int = Field(description="longer events are one session a day (attendance is per day)")


class SecuriteEvenementsBaseline(_Block):
    semaines_reference: int = Field(description="comparable hours: same venue, weekday and hour, the nearest weeks...")
    semaines_recherche: int = Field(description="...searched up to this many weeks away, skipping hours with an event nearby")
    poids_moyenne_horaire: int = Field(
        description="shrinkage towards the venue's mean at that weekday and hour over all event-free weeks, in weeks"
    )


class SecuriteEvenementsModele(_Block):
    seuil_pluie_mm: float = Field(description="a session is rainy if one of its hours has at least this much rain")
    penalite_type: float = Field(
        description="Ridge on type deviations (rare types shrink to the overall rate); chosen among 0.3, 1, 3, "
        "10 on the rolling-origin backtest"
    )
    penalite_autres: float = Field(description="Ridge on day type and rain")
    niveau_intervalle: float = Field(gt=0, lt=1, description="two-sided level of the forecast intervals")


class SecuriteEvenementsBacktest(_Block):
    methode: Literal["origine_glissante"] = Field(description="rolling origin: fit on the past only, predict the next step")
    entrainement_min_jours: int
    pas_jours: int


class SecuriteEvenementsDoctrine(_Block):
    sources_agents: list[str] = Field(description="expected facts that call for agents")
    source_secours: str = Field(description="shown for the fire brigade, no agents")
    agents_par_fait_attendu: float = Field(description="agents per expected extra fact in the hour (upper bound of the interval)")
    agents_min_pour_1000: float = Field(description="minimum agents per 1,000 attendees while the public is there")
    presence_avant_h: int = Field(description="the public is there from this many hours before the start...")
    presence_apres_h: int = Field(description="...to this many hours after the end hour")
    barrieres_pour_1000: int = Field(description="barriers per 1,000 attendees")
    barrieres_min_par_lieu: int = Field(description="at least this many at a venue")
    barrieres_pose_h: int = Field(description="barriers in place this many hours before the start hour...")
    barrieres_depose_h: int = Field(description="...until this many hours after the end hour")
    arrondi: Literal["superieur"] = Field(description="agents and barriers are rounded up")


class SecuriteEvenementsParameters(Parameters):
    """Parameters of ``securite_evenements`` (expected incidents around events, staffing doctrine)."""

    rayon_m: int = Field(
        le=1000,
        description="Proximity disc around the venue (m); at most the 1,000 m the intermediate model covers. "
        "750 m: the 700 m security perimeter plus the 50 m cell generalisation of positions.",
    )
    fenetre: SecuriteEvenementsFenetre
    baseline: SecuriteEvenementsBaseline
    modele: SecuriteEvenementsModele
    backtest: SecuriteEvenementsBacktest
    doctrine: SecuriteEvenementsDoctrine


# --- securite_routiere -------------------------------------------------------------------------


class HotspotQuartierRule(_Block):
    facteur_taux_ville: float = Field(
        description="hotspot = rate above this x the city's rate per km² (the city mean includes hills and "
        "calanques: 1.5 x flagged 40 % of quartiers)..."
    )
    probabilite_min: float = Field(description="...with posterior probability >= this (empirical Bayes)")
    nb_min_accidents: int = Field(description="and never on fewer accidents than this")


class HotspotCarreauRule(_Block):
    facteur_quartier: float = Field(description="a cell is tested against this x its quartier's smoothed background")
    p_max: float = Field(description="Poisson upper tail below this (thousands of cells are tested)")
    nb_min_accidents: int


class SecuriteRoutierePointsChauds(_Block):
    quartier: HotspotQuartierRule
    carreau: HotspotCarreauRule


class SecuriteRoutiereFacteurs(_Block):
    heure_reference: Hour = Field(description="hour-of-day rate ratios against this hour")
    lum_reference: str = Field(description='lighting: against "night, public lighting on" (BAAC code)')
    intersection_reference: str = Field(description='against "outside an intersection" (BAAC code)')
    atm_reference: str = Field(description='declared weather: against "normal" (BAAC code)')
    min_accidents_perimetre: int = Field(
        ge=1, description="fewer accidents in a perimeter: 'données insuffisantes' rows instead of estimates"
    )


class SecuriteRoutierePluie(_Block):
    seuil_heure_humide_mm: float = Field(description="a wet hour: at least this much rain in the hour (RR1 shifted by one hour)")
    categories_police: Codes = Field(description="police natures whose rate is compared in wet vs dry hours")


class SecuriteRoutierePannes(_Block):
    rayon_m: int = Field(le=500, description="zone of an outage: within this distance of its centre (<= 500)")
    nb_min_points_lumineux: int = Field(description="sector outages only (a single dead lamp is not a dark street)")
    categories_police: Codes = Field(description="night police incidents linked to darkness")
    nuit_baac: Literal["heure_solaire", "lum"] = Field(
        description="heure_solaire (same night hours as the exposure) or lum (ONISR 3/4/5)"
    )


class SecuriteRoutiereNuit(_Block):
    latitude: float = Field(description="Marseille, Hôtel de Ville")
    longitude: float
    fuseau: str
    elevation_coucher_deg: float = Field(description="night = sun's upper limb below the horizon at mid-hour")


class SecuriteRoutiereParameters(Parameters):
    """Parameters of ``securite_routiere`` (hotspots, factors, rain, lighting outages, night)."""

    points_chauds: SecuriteRoutierePointsChauds
    facteurs: SecuriteRoutiereFacteurs
    pluie: SecuriteRoutierePluie
    pannes: SecuriteRoutierePannes
    nuit: SecuriteRoutiereNuit


# --- signaux_faibles ---------------------------------------------------------------------------


class SignauxFaiblesInjection(_Block):
    """Self-test on injected bursts (fit-quality mart)."""

    nombre: int
    jours: int
    multiplicateur: float
    graine: int


class SignauxFaiblesConfig(_Block):
    series: ByFeed = Field(description="feed -> categories scanned (partner codes)")
    fenetre_reference_jours: int = Field(description="trailing window of the quartier's share")
    historique_min_jours: int = Field(description="no score (hence no alert) with less history than this")
    fenetres_jours: list[int] = Field(min_length=1, description="scanned windows ending on the day")
    # int | float: written as an int in the YAML, read as a float.
    force_a_priori: int | float = Field(
        description="shrinkage of a category share towards the quartier share of the feed (prior cases)"
    )
    seuil_score: float = Field(description="alert when -log10(p) >= this ...")
    nb_min_cas: int = Field(description="... and the window holds at least this many cases")
    taux_fausses_alertes_max_pour_mille: float = Field(description="stated false-alarm rate the threshold is chosen for")
    injection: SignauxFaiblesInjection


class SignauxFaiblesParameters(Parameters):
    """Parameters of ``signaux_faibles`` (burst detection by quartier and category)."""

    signaux_faibles: SignauxFaiblesConfig


# --- vie_nocturne ------------------------------------------------------------------------------


class ZoneAProbleme(_Block):
    irr_min: float = Field(description="ratio >= this...")
    ic_bas_min: float = Field(description="...and lower 95 % bound > this")


class VieNocturneConfig(_Block):
    heures_nuit: list[Hour] = Field(description="local clock hours counted as night")
    heures_jour: list[Hour] = Field(description="reference daytime level of a quartier")
    soirs_fin_de_semaine: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        description="evenings (0 = Monday): Thursday, Friday, Saturday nights"
    )
    categories: ByFeed = Field(description="night-life categories, per feed (partner codes)")
    flux_modele_zones: list[str] = Field(
        description="Feeds of the zone ratios: their daytime level says where people are. CSU is left out: "
        "what operators see depends on where the cameras look, not on where people are."
    )
    rayon_evenement_m: int = Field(description='a quartier within this distance of a venue is "touched" by the event')
    seuil_pluie_mm: float = Field(description="a wet hour has at least this much rain")
    zone_vacances: SchoolZone = Field(description="school-holiday zone of Aix-Marseille")
    zone_a_probleme: ZoneAProbleme


class VieNocturneParameters(Parameters):
    """Parameters of ``vie_nocturne`` (night-life incidents by quartier and hour)."""

    vie_nocturne: VieNocturneConfig


PARAMETERS_BY_USE_CASE: dict[str, type[Parameters]] = {
    "abords_scolaires": AbordsScolairesParameters,
    "espace_public": EspacePublicParameters,
    "securite_evenements": SecuriteEvenementsParameters,
    "securite_routiere": SecuriteRoutiereParameters,
    "signaux_faibles": SignauxFaiblesParameters,
    "vie_nocturne": VieNocturneParameters,
}


def parameters_model(use_case: str) -> type[Parameters]:
    """The parameters model of a use case; the empty :class:`Parameters` for one that declares none."""
    return PARAMETERS_BY_USE_CASE.get(use_case, Parameters)
