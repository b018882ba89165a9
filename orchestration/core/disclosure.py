"""Statistical disclosure control for open data: generalise, then suppress small counts.

Rules (declared per dataset in the use-case registry, k from settings):

* **generalisation** first: quartier -> arrondissement, day -> month, as the dataset declares;
* **primary suppression**: a count ``0 < n < k`` is masked (zeros are published: they reveal no one);
* **secondary suppression**: each (zone, period) group also publishes its total over categories,
  so a group with exactly one masked cell would give it away by subtraction. We then also mask
  the smallest other non-zero cell of that group (or the total if there is none), until no group
  has exactly one masked cell.

The report of what was masked is published with the data (``disclosure.json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

PUBLISHED = "publié"
PRIMARY = "masqué (secret primaire)"
SECONDARY = "masqué (secret secondaire)"

METHOD = (
    "Effectifs agrégés ; toute case non nulle inférieure au seuil k est masquée (secret primaire). "
    "Chaque groupe (zone, période) publie aussi son total toutes natures : quand un groupe n'a "
    "qu'une case masquée, la plus petite autre case non nulle du groupe (ou le total) est masquée "
    "aussi (secret secondaire), pour qu'aucune case masquée ne se déduise par différence."
)


class DisclosureError(RuntimeError):
    """A table about to be published breaks its disclosure rules."""


@dataclass(frozen=True)
class DisclosureReport:
    k_min: int
    method: str
    cells: int
    primary_suppressed: int
    secondary_suppressed: int

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def suppress(
    cells: pd.DataFrame,
    group_columns: list[str],
    category_column: str,
    count_column: str,
    total_label: str,
    k: int,
) -> tuple[pd.DataFrame, DisclosureReport]:
    """Add group totals and mask small cells; returns (table, report).

    ``cells`` holds one row per (group..., category) with an integer count, zeros included.
    The result has the count as nullable ``Int64`` (null when masked) and a ``diffusion`` column.
    """
    totals = cells.groupby(group_columns, as_index=False, sort=False)[count_column].sum()
    totals[category_column] = total_label
    table = pd.concat([cells, totals[cells.columns]], ignore_index=True)
    counts = table[count_column].astype("int64")
    status = pd.Series(PUBLISHED, index=table.index, dtype="str")
    status[(counts > 0) & (counts < k)] = PRIMARY

    is_total = table[category_column] == total_label
    group_keys = [table[c] for c in group_columns]
    changed = True
    while changed:  # each pass only adds masks, so this ends
        changed = False
        masked = status != PUBLISHED
        masked_per_group = masked.groupby(group_keys, sort=False).transform("sum")
        lonely = table.index[(masked_per_group == 1) & masked]
        for index in lonely:
            same_group = (table[group_columns] == table.loc[index, group_columns]).all(axis=1)
            candidates = table.index[same_group & (status == PUBLISHED) & (counts > 0) & ~is_total]
            if len(candidates):
                chosen = counts[candidates].idxmin()
            else:
                totals_in_group = table.index[same_group & is_total & (status == PUBLISHED)]
                if not len(totals_in_group):
                    continue
                chosen = totals_in_group[0]
            status[chosen] = SECONDARY
            changed = True

    out = table.copy()
    out[count_column] = counts.astype("Int64").mask(status != PUBLISHED)
    out["diffusion"] = status
    report = DisclosureReport(
        k_min=k,
        method=METHOD,
        cells=len(out),
        primary_suppressed=int((status == PRIMARY).sum()),
        secondary_suppressed=int((status == SECONDARY).sum()),
    )
    return out, report


def check_publishable(table: pd.DataFrame, count_column: str, k: int) -> None:
    """Last line of defence before writing: no visible count may be between 1 and k-1."""
    visible = table[count_column].dropna().astype("int64")
    small = visible[(visible > 0) & (visible < k)]
    if not small.empty:
        raise DisclosureError(f"{len(small)} visible count(s) below k={k} in {count_column}: refusing to publish")
