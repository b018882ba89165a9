"""CSV line accounting: every physical line is a row, a blank, or a malformed line with its number.

The reader skips the per-field line-break scan for records of one physical line; these cases pin
the line numbers it reports when records are not that simple.
"""

from pathlib import Path

import pytest

from orchestration.core.catalog import feed
from orchestration.core.parsing import LINE_COLUMN, DeliveryRejected, read_delivery

SPEC = feed("police_mains_courantes")
SEP = SPEC.format.separator
HEADER = SEP.join(c.source for c in SPEC.columns)
ROW = SEP.join(["x"] * len(SPEC.columns))
TAIL = SEP.join(["x"] * (len(SPEC.columns) - 1))


def _read(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "mains_courantes_20260115.csv"
    path.write_bytes(text.encode(SPEC.format.encoding.replace("-sig", "")))
    return read_delivery(path, SPEC)


@pytest.mark.parametrize(
    ("text", "lines", "malformed"),
    [
        (f"{HEADER}\r\n{ROW}\r\n{ROW}\r\n", [2, 3], {}),
        (f"{HEADER}\r{ROW}\r{ROW}\r", [2, 3], {}),
        (f"{HEADER}\n\n{ROW}\n \n{ROW}\n", [3, 5], {}),
        (f"{HEADER}\n{ROW}\na{SEP}b\n{ROW}\n", [2, 4], {3: "malformed_row: 2 fields, expected 9"}),
        (f'{HEADER}\n"a\nb"{SEP}{TAIL}\n{ROW}\n', [4], {2: "unbalanced quote (the field runs past", 3: "unbalanced quote"}),
        (f'{HEADER}\n"a\rb"{SEP}{TAIL}\n{ROW}\n', [2, 3], {}),
        (f'{HEADER}\n{ROW}\n"abc{SEP}d\n{ROW}\n', [2, 4], {3: "unbalanced quote (the field runs past"}),
        (f"{HEADER}\n{ROW}\n{ROW}", [2, 3], {}),
        (f"{HEADER}\n", [], {}),
    ],
    ids=["crlf", "cr-only", "blank-lines", "short-row", "quoted-line-break", "quoted-cr", "quote-to-end", "no-final-break", "header-only"],
)
def test_line_numbers(tmp_path: Path, text: str, lines: list[int], malformed: dict[int, str]) -> None:
    delivery = _read(tmp_path, text)
    assert delivery.frame[LINE_COLUMN].tolist() == lines
    assert sorted(delivery.malformed) == sorted(malformed)
    for line, fragment in malformed.items():
        assert fragment in delivery.malformed[line]
    assert list(delivery.frame.columns) == [*(c.name for c in SPEC.columns), LINE_COLUMN]


def test_a_cut_off_last_record_rejects_the_file(tmp_path: Path) -> None:
    with pytest.raises(DeliveryRejected, match="truncated_file"):
        _read(tmp_path, f"{HEADER}\n{ROW}\na{SEP}b")
