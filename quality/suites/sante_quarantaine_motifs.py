"""Expectations the mart ``sante_quarantaine_motifs`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import feeds


def expectations() -> list[gx.expectations.Expectation]:
    """Grain, declared feeds, reason codes shaped like codes (snake case, see catalog README)."""
    columns = ["flux", "code_motif", "nb_lignes", "nb_fichiers", "premier_jour", "dernier_jour"]
    return [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True),
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["flux", "code_motif"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="flux", value_set=sorted(feeds())),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="code_motif", regex=r"^[a-z][a-z_]*$"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_lignes", min_value=1),
    ]
