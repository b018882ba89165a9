"""Expectations the mart ``sante_quarantaine_motifs`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import feeds


def expectations() -> list[gx.expectations.Expectation]:
    """Grain, declared feeds, reason codes shaped like codes (snake case, see catalog README)."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="flux", value_set=sorted(feeds())),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="code_motif", regex=r"^[a-z][a-z_]*$"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_lignes", min_value=1),
    ]
