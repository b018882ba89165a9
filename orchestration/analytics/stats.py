"""Small statistical building blocks shared by the use cases (rate ratios, Poisson fits).

Conventions: rates are events per unit of exposure (hours, cell-hours, days); a ratio compares
an exposed stratum with a reference; 95 % intervals are Wald intervals on the log scale unless
said otherwise, which is what an analyst will find in any epidemiology textbook.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


@dataclass(frozen=True)
class RateRatio:
    """An incidence-rate ratio with its 95 % interval."""

    ratio: float
    low: float
    high: float
    events_exposed: float
    events_reference: float

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


def rate_ratio(events_exposed: float, exposure_exposed: float, events_reference: float, exposure_reference: float) -> RateRatio:
    """Crude rate ratio (a/ta)/(b/tb); interval from var(log RR) = 1/a + 1/b.

    With zero events on either side the ratio is undefined: NaN with an infinite interval,
    never a made-up number.
    """
    a, b = float(events_exposed), float(events_reference)
    if a <= 0 or b <= 0 or exposure_exposed <= 0 or exposure_reference <= 0:
        return RateRatio(math.nan, 0.0, math.inf, a, b)
    ratio = (a / exposure_exposed) / (b / exposure_reference)
    se = math.sqrt(1 / a + 1 / b)
    return RateRatio(ratio, ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se), a, b)


def mantel_haenszel_rate_ratio(strata: pd.DataFrame) -> RateRatio:
    """Rate ratio adjusted for strata (e.g. hour of day), Mantel-Haenszel with Greenland-Robins variance.

    ``strata`` has columns ``a`` (exposed events), ``ta`` (exposed exposure), ``b`` (reference
    events), ``tb`` (reference exposure), one row per stratum.
    """
    s = strata[(strata["ta"] > 0) & (strata["tb"] > 0)]
    t = s["ta"] + s["tb"]
    num = (s["a"] * s["tb"] / t).sum()
    den = (s["b"] * s["ta"] / t).sum()
    a, b = float(s["a"].sum()), float(s["b"].sum())
    if num <= 0 or den <= 0:
        return RateRatio(math.nan, 0.0, math.inf, a, b)
    ratio = num / den
    var = ((s["ta"] * s["tb"] * (s["a"] + s["b"])) / t**2).sum() / (num * den)
    se = math.sqrt(var)
    return RateRatio(ratio, ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se), a, b)


def poisson_irr(frame: pd.DataFrame, formula: str, exposure: str | None = None) -> pd.DataFrame:
    """Fit a Poisson GLM (log link) and return every term as an IRR with its 95 % interval.

    ``formula`` is a patsy formula on ``frame`` (``"n ~ C(eclairage, Treatment('jour')) + C(heure)"``);
    ``exposure`` names a column used as log offset. Over-dispersion is absorbed by scaling the
    covariance with Pearson chi2 / dof (quasi-Poisson), so intervals are not falsely narrow.
    Columns: terme, irr, ic_bas, ic_haut, p_valeur, plus the fit's deviance, dof and dispersion.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    offset = np.log(frame[exposure].astype(float)) if exposure else None
    model = smf.glm(formula, data=frame, family=sm.families.Poisson(), offset=offset)
    fit = model.fit(scale="X2")
    ci = fit.conf_int()
    out = pd.DataFrame(
        {
            "terme": fit.params.index,
            "irr": np.exp(fit.params.values),
            "ic_bas": np.exp(ci[0].values),
            "ic_haut": np.exp(ci[1].values),
            "p_valeur": fit.pvalues.values,
        }
    )
    out["deviance"] = float(fit.deviance)
    out["ddl"] = float(fit.df_resid)
    out["dispersion"] = float(fit.scale)
    return out
