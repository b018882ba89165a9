"""One analysis per refresh: the marts of the use case share the preparation, the fit and the forecast.

Each Python mart is its own Dagster asset and calls its ``compute_*`` function with inputs read
afresh from the build database, so the frames are new objects every time; with the in-process
executor of the refresh job they are computed in the same process from the same content. The
memo is therefore keyed by a fingerprint of the inputs' content (names, columns, dtypes, every
value and the index) and the typed parameters, never by object identity, and it holds at most
:data:`MEMO_SIZE` analyses (the current refresh and, at most, the previous one).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import pandas as pd

from orchestration.analytics.securite_evenements.forecast import forecast
from orchestration.analytics.securite_evenements.inputs import INPUTS
from orchestration.analytics.securite_evenements.model import Fit, fit_sources
from orchestration.analytics.securite_evenements.parameters import Params, parameters, segments
from orchestration.analytics.securite_evenements.prepared import Prepared, prepare

MEMO_SIZE = 2


class Analysis:
    """The prepared inputs, and on first use the main fit and the forecast (all read-only for callers)."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.observed: pd.Series = prep.observed()
        self._fits: dict[str, Fit] | None = None
        self._forecast: pd.DataFrame | None = None

    @property
    def fits(self) -> dict[str, Fit]:
        """The main model, one fit per source on every fully observed session (fitted once)."""
        if self._fits is None:
            p = self.prep.p
            self._fits = fit_sources(self.prep.excess, self.prep.sessions[self.observed], self.prep.hours, segments(p), p)
        return self._fits

    @property
    def forecast(self) -> pd.DataFrame:
        """Expected excess per event hour and source from the main fit (computed once)."""
        if self._forecast is None:
            self._forecast = forecast(self.prep, self.fits)
        return self._forecast


_memo: OrderedDict[tuple[str, Params], Analysis] = OrderedDict()


def fingerprint(inputs: Mapping[str, pd.DataFrame]) -> str:
    """SHA-256 of the content of the frames the analysis reads (equal content, equal fingerprint)."""
    digest = hashlib.sha256()
    for name in INPUTS:
        frame = inputs[name]
        digest.update(repr((name, [(str(c), str(t)) for c, t in frame.dtypes.items()], len(frame))).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def analysis(inputs: Mapping[str, pd.DataFrame], raw_params: Mapping[str, Any]) -> Analysis:
    """The analysis of these inputs and parameters, shared with earlier calls on the same content."""
    p = parameters(raw_params)
    key = (fingerprint(inputs), p)
    found = _memo.get(key)
    if found is None:
        found = _memo[key] = Analysis(prepare(inputs, p))
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    else:
        _memo.move_to_end(key)
    return found


def clear_memo() -> None:
    """Forget every memoised analysis (tests; frees memory)."""
    _memo.clear()
