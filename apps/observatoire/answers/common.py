"""What the answer pages of vie_nocturne, abords_scolaires and espace_public share: reading a use
case's published marts once, and the closing "where these figures come from" section (gate
verdict, data window and CSV of every mart, then the model card)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from apps.formatting import fr_date, fr_datetime, fr_int
from apps.observatoire.components import data_window, window_text
from apps.published import NO_DATA_MESSAGE, GoldTable, load_gold_table
from orchestration.core.catalog import UseCase


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


def render_sources(uc: UseCase, golds: dict[str, GoldTable | None]) -> None:
    """Per published mart: what it holds, its gate verdict, the days it covers, its CSV."""
    from apps.observatoire.use_case import render_model_card  # the page module imports this one

    st.header("D'où viennent ces chiffres", divider="gray")
    render_model_card(uc)
    with st.expander("Tables publiées, contrôle qualité et téléchargements"):
        for spec in uc.marts:
            if not spec.published:
                continue
            gold = golds.get(spec.name)
            st.markdown(f"**{spec.description or spec.name}**")
            if gold is None:
                st.caption(NO_DATA_MESSAGE)
                continue
            window = window_text(*data_window(gold.table, spec))
            published = f"publié le {fr_datetime(gold.published_at)}" if gold.published_at else "publié"
            verdict = (
                f":material/verified: Contrôle qualité réussi ({gold.gate.evaluated} attentes)"
                if gold.gate is not None and gold.gate.success
                else ":material/warning: Contrôle qualité non confirmé"
            )
            st.caption(f"{verdict} · {published}{' · données ' + window if window else ''} · {fr_int(len(gold.table))} lignes")
            st.download_button(
                "Télécharger (CSV)",
                gold.table.to_csv(index=False).encode("utf-8"),
                file_name=f"{spec.name}.csv",
                mime="text/csv",
                key=f"download-{spec.name}",
            )
