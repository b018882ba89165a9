"""What the answer pages of vie_nocturne, abords_scolaires and espace_public share: reading a use
case's published marts once, and French labels of partner feeds and their codes.

The title, the decision questions, the model card and the published tables around an answer are
drawn by :func:`apps.observatoire.use_case.render_use_case`."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from apps.formatting import fr_date, fr_int
from apps.observatoire.components import RATE_RATIO_KIND
from apps.published import NO_DATA_MESSAGE, GoldTable, load_gold_table
from orchestration.core.catalog import UseCase

# The legend of a forest plot of true rate ratios (time as the exposure).
RATE_KIND_LABELS = {RATE_RATIO_KIND: "Rapport de taux (exposition = temps)"}


def published_marts(uc: UseCase) -> dict[str, GoldTable | None]:
    """Every published mart of ``uc`` at its published version (``None`` when not published yet)."""
    return {m.name: load_gold_table(m.name) for m in uc.marts if m.published}


def table(golds: dict[str, GoldTable | None], mart: str) -> pd.DataFrame | None:
    """The published table of ``mart``, or ``None`` when nothing is published (or it is empty)."""
    gold = golds.get(mart)
    if gold is None or gold.table.empty:
        return None
    return gold.table


def nothing_yet(golds: dict[str, GoldTable | None], *marts: str) -> bool:
    """True (and say so on the page) when one of ``marts`` is not published yet."""
    if all(table(golds, m) is not None for m in marts):
        return False
    st.info(NO_DATA_MESSAGE)
    return True


def night_window_text(first: date | None, last: date | None, nights: int | None) -> str:
    """``"nuits du 13/11/2026 au 02/12/2026 (20 nuits)"``."""
    if first is None or last is None:
        return ""
    count = f" ({fr_int(nights)} nuits)" if nights else ""
    return f"nuits du {fr_date(first)} au {fr_date(last)}{count}"


def feed_code_labels(*names: str) -> dict[str, str]:
    """Partner code -> French label, from the declared ``codes`` of the feeds ``names`` (first wins)."""
    from orchestration.core.catalog import feeds

    labels: dict[str, str] = {}
    for name in names:
        for declared in feeds()[name].columns:
            for code, label in (declared.codes or {}).items():
                labels.setdefault(str(code), label)
    return labels
