"""Minimum-count suppression with secondary suppression."""

import pandas as pd
import pytest

from orchestration.core.disclosure import PRIMARY, PUBLISHED, SECONDARY, DisclosureError, check_publishable, suppress

K = 11


def cells(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["zone", "mois", "categorie", "n"])


def run(rows: list[tuple[str, str, str, int]]) -> tuple[pd.DataFrame, object]:
    return suppress(cells(rows), ["zone", "mois"], "categorie", "n", "Total", K)


def test_small_counts_are_masked_and_zeros_published() -> None:
    table, report = run([("a", "01", "x", 3), ("a", "01", "y", 50), ("a", "01", "z", 40), ("a", "01", "w", 0)])
    status = dict(zip(table["categorie"], table["diffusion"], strict=True))
    assert status["x"] == PRIMARY
    assert status["w"] == PUBLISHED and table.loc[table["categorie"] == "w", "n"].item() == 0
    assert report.primary_suppressed == 1  # type: ignore[attr-defined]


def test_a_lonely_masked_cell_gets_a_partner() -> None:
    table, report = run([("a", "01", "x", 3), ("a", "01", "y", 50), ("a", "01", "z", 40)])
    status = dict(zip(table["categorie"], table["diffusion"], strict=True))
    # Without a second mask, x = Total - y - z: the smallest other non-zero cell (z) is masked too.
    assert status["z"] == SECONDARY and status["y"] == PUBLISHED and status["Total"] == PUBLISHED
    assert report.secondary_suppressed == 1  # type: ignore[attr-defined]


def test_no_group_keeps_exactly_one_mask() -> None:
    rows = [(z, m, c, n) for z in "abc" for m in ("01", "02") for c, n in zip("xyzw", (1, 12, 30, 5 if z == "b" else 40), strict=True)]
    table, _ = run(rows)
    masked = (table["diffusion"] != PUBLISHED).groupby([table["zone"], table["mois"]]).sum()
    assert not (masked == 1).any()
    check_publishable(table, "n", K)


def test_small_total_is_masked_with_everything_under_it() -> None:
    table, _ = run([("a", "01", "x", 4), ("a", "01", "y", 5)])
    assert table["n"].isna().all()


def test_cannot_recover_by_difference() -> None:
    table, _ = run([("a", "01", "x", 2), ("a", "01", "y", 25), ("a", "01", "z", 30), ("a", "01", "w", 60)])
    total = table.loc[table["categorie"] == "Total", "n"].item()
    assert total == 117  # the total stays published...
    hidden = table[table["n"].isna()]
    assert sorted(hidden["categorie"]) == ["x", "y"]  # ...so x is hidden together with y


def test_check_publishable_refuses_small_visible_counts() -> None:
    with pytest.raises(DisclosureError):
        check_publishable(pd.DataFrame({"n": pd.array([3, 20], dtype="Int64")}), "n", K)
