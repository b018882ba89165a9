"""The partner feeds the simulator plays, one module per partner (two for RTM, eight for BAAC)."""

from __future__ import annotations

from infra.simulator.base import FeedSimulator
from infra.simulator.feeds.allo_mairie import AlloMairieDemandes
from infra.simulator.feeds.aphm import AphmUrgences
from infra.simulator.feeds.baac import BAAC_FEEDS
from infra.simulator.feeds.csu import CsuEvenements
from infra.simulator.feeds.eclairage import EclairagePannes
from infra.simulator.feeds.etablissements import EtablissementsScolaires
from infra.simulator.feeds.evenements import Evenements
from infra.simulator.feeds.marches import Marches
from infra.simulator.feeds.meteo import MeteoHoraire
from infra.simulator.feeds.pompiers import MarinsPompiersInterventions
from infra.simulator.feeds.rtm import RtmFrequentation, RtmIncidents
from infra.simulator.feeds.signalements import SignalementsCitoyens
from infra.simulator.feeds.telecom import TelecomPresence
from infra.simulator.feeds.voirie import VoirieChantiers
from infra.simulator.police import PoliceMainsCourantes

# In generation order (the order is part of the output: truth lists follow it).
ALL_FEEDS: tuple[type[FeedSimulator], ...] = (
    PoliceMainsCourantes,
    CsuEvenements,
    AlloMairieDemandes,
    MarinsPompiersInterventions,
    AphmUrgences,
    RtmFrequentation,
    RtmIncidents,
    VoirieChantiers,
    Marches,
    EclairagePannes,
    Evenements,
    TelecomPresence,
    MeteoHoraire,
    SignalementsCitoyens,
    *BAAC_FEEDS,
    EtablissementsScolaires,  # last: adding it leaves every other feed's output unchanged
)
