"""What a simulated partner feed provides; one subclass per feed, registered in ``__init__``.

A feed only produces a day's *clean* rows as formatted strings, keyed by our column names from
its declaration. Dirt, CSV writing, the truth file and seeding are shared, so adding a feed is
one module with its volumes, categories and free text.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from datetime import date
from typing import ClassVar

import numpy as np

from infra.simulator.truth import Planted
from orchestration.catalog import FeedSpec, feed


class FeedSimulator(ABC):
    """A partner stand-in for one feed of the catalog."""

    feed_name: ClassVar[str]

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.spec: FeedSpec = feed(self.feed_name)

    def stream(self, *keys: int) -> np.random.Generator:
        """A random stream owned by this feed and seed; ``keys`` select e.g. a day or a pool."""
        # crc32, not hash(): str hashes are salted per process and would break reproducibility.
        return np.random.default_rng([self.seed, zlib.crc32(self.feed_name.encode()), *keys])

    def check(self, start: date, days: int, scale: float) -> None:  # noqa: B027 - optional hook
        """Raise ``ValueError`` before anything is written if the parameters cannot be honoured."""

    @abstractmethod
    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[str]]:
        """The clean rows of the delivery covering ``day``: our column name -> formatted values.

        Rows are in the order the partner exports them; every planted personal value is added
        to ``planted``.
        """
