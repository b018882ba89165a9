"""Events security: observed excess near each event by hour, a forecast model, staffing, backtest.

Pure functions, no I/O; every rule comes from the use case's declared ``parameters``, read once
by ``parameters.parameters`` (the module is not shadowed: import the function from it). The modules, in pipeline order:

1. ``windows``: one session per event day (cancelled events dropped), each session's hours
   from ``heures_avant`` before its start to ``heures_apres`` after its end hour with their
   profile segment, venues near each other, the hours every source covers, session covariates.
2. ``baseline``: facts within ``rayon_m`` of each venue against a baseline from comparable
   event-free weeks; excess = observed - baseline.
3. ``prepared``: the model-free frames every mart shares.
4. ``model``: per source, a penalised Poisson fit with an additive event term.
5. ``forecast``, ``doctrine`` (staffing), ``backtest`` (rolling origin) use it; ``prose`` writes
   the quality mart's indicators.
6. ``analysis``: the marts of one refresh share one preparation and one fit (content-keyed memo).
7. ``marts``: the ``compute_*`` entry points named in the use-case declaration.
"""

from __future__ import annotations

from orchestration.analytics.securite_evenements.inputs import CALENDAR, COVERAGE, DAY_TYPES, FACTS, RAIN, SOURCES, VENUES
from orchestration.analytics.securite_evenements.marts import compute_dispositif, compute_exces, compute_prevision, compute_qualite
from orchestration.analytics.securite_evenements.parameters import Doctrine, Params

__all__ = [
    "CALENDAR", "COVERAGE", "DAY_TYPES", "FACTS", "RAIN", "SOURCES",
    "VENUES", "Doctrine", "Params", "compute_dispositif", "compute_exces", "compute_prevision", "compute_qualite",
]
