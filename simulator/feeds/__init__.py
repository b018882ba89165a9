"""The partner feeds the simulator plays, one module per partner (two for RTM, eight for BAAC)."""

from __future__ import annotations

from simulator.base import FeedSimulator
from simulator.feeds.allo_mairie import AlloMairieDemandes
from simulator.feeds.aphm import AphmUrgences
from simulator.feeds.baac import BAAC_FEEDS
from simulator.feeds.csu import CsuEvenements
from simulator.feeds.eclairage import EclairagePannes
from simulator.feeds.etablissements import EtablissementsScolaires
from simulator.feeds.evenements import Evenements
from simulator.feeds.marches import Marches
from simulator.feeds.meteo import MeteoHoraire
from simulator.feeds.pompiers import MarinsPompiersInterventions
from simulator.feeds.rtm import RtmFrequentation, RtmIncidents
from simulator.feeds.signalements import SignalementsCitoyens
from simulator.feeds.telecom import TelecomPresence
from simulator.feeds.voirie import VoirieChantiers
from simulator.police import PoliceMainsCourantes

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
