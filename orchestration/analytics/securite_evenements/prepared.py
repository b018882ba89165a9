"""The shared preparation of every mart: sessions with covariates, event hours, excess, coverage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from orchestration.analytics.securite_evenements.baseline import counts_within, excess, hourly_means
from orchestration.analytics.securite_evenements.inputs import CALENDAR, COVERAGE, FACTS, RAIN, VENUES
from orchestration.analytics.securite_evenements.parameters import Params
from orchestration.analytics.securite_evenements.windows import (
    busy_hours,
    common_coverage,
    event_hours,
    observed_sessions,
    session_features,
    sessions,
)


@dataclass
class Prepared:
    """Model-free frames the marts share (read-only once built)."""

    p: Params
    sessions: pd.DataFrame  # with features
    hours: pd.DataFrame
    excess: pd.DataFrame
    coverage: tuple[pd.Timestamp, pd.Timestamp]

    def observed(self) -> pd.Series:
        """Mask of :attr:`sessions` fully inside the data coverage (their whole window is observed)."""
        return observed_sessions(self.sessions, self.coverage, self.p)


def prepare(inputs: Mapping[str, pd.DataFrame], p: Params) -> Prepared:
    """Sessions, event hours, excess and covariates from the dbt inputs."""
    calendar = inputs[CALENDAR]
    sess = sessions(calendar, p)
    hours = event_hours(sess, p)
    venues = inputs[VENUES]
    busy = busy_hours(hours, venues, p)
    cov = common_coverage(inputs[COVERAGE])
    counts = counts_within(inputs[FACTS], p)
    exc = excess(hours, counts, busy, cov, p, hourly_means(counts, busy, venues, cov))
    feats = session_features(sess, inputs[RAIN], p)
    return Prepared(p, feats, hours, exc, cov)
