"""Contract of the municipal police incident log, checked on every delivery before bronze."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pandera.pandas as pa

from orchestration.catalog import feed
from orchestration.geography import inside_city

SPEC = feed("police_mains_courantes")
CODES = sorted(SPEC.column("code_nature").codes or {})

# Column -> reason code in quarantine; a row failing several checks gets several codes.
REASONS: dict[str, str] = {
    "incident_id": "bad_id",
    "occurred_at": "bad_date",
    "code_nature": "unknown_code",
    "latitude": "outside_city",
    "longitude": "outside_city",
    "agent_pseudo": "bad_agent_id",
    "position": "outside_city",
}


def _inside_city(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(inside_city(frame["latitude"].to_numpy(), frame["longitude"].to_numpy()), index=frame.index)


schema = pa.DataFrameSchema(
    {
        "incident_id": pa.Column(str, pa.Check.str_matches(r"^MC-\d{4}-\d{6}$"), nullable=False),
        "occurred_at": pa.Column(
            "datetime64[us]",
            pa.Check.in_range(datetime(2000, 1, 1), datetime(2100, 1, 1)),
            nullable=False,
        ),
        "code_nature": pa.Column(str, pa.Check.isin(CODES), nullable=False),
        "latitude": pa.Column(float, pa.Check.in_range(-90, 90), nullable=False),
        "longitude": pa.Column(float, pa.Check.in_range(-180, 180), nullable=False),
        "agent_pseudo": pa.Column(str, pa.Check.str_matches(r"^PM\d{4}$"), nullable=False),
        "personne_pseudo": pa.Column(str, nullable=True),
    },
    checks=[pa.Check(_inside_city, name="position")],  # inside the commune of Marseille
    strict=False,
    coerce=False,
    name="police_mains_courantes",
)
