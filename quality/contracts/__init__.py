"""pandera contracts, one module per partner feed, named after the feed.

Each module exposes ``schema`` (a pandera schema over the typed frame, our column names) and
``REASONS`` (column -> reason code written to quarantine), and reads its facts (codes, columns)
from the partner catalog rather than restating them.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def contract_for(feed_name: str) -> ModuleType:
    """The contract module of a feed (``quality.contracts.<feed_name>``)."""
    return importlib.import_module(f"{__name__}.{feed_name}")
