"""Per-caller rate limit: a token bucket per token, user or anonymous client address.

The limits are declared once in ``core/settings.py`` (``ApiSettings``). With one API process
the buckets live in memory (:class:`RateLimiter`). With several worker processes
(``OBSERVATOIRE_API_WORKERS``) they live in one small SQLite file that every worker updates in a
single statement (:class:`SharedRateLimiter`), so a caller gets the declared rate in total, not
once per worker, whichever worker its connections land on. The file is in the restricted layer
and holds only a hash of each caller key (never an address or a token id in clear).
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path

MAX_CALLERS = 10_000  # least recently seen callers are forgotten beyond this (memory bound)
PRUNE_EVERY = 1_000  # shared buckets: drop the full (idle) ones every this many requests


def retry_after(wait: float) -> str:
    """The Retry-After header value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(wait)))


class RateLimiter:
    """``rate`` requests per second sustained, ``burst`` at once, per caller key (one process)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def acquire(self, key: str, now: float | None = None) -> float:
        """Take one request from ``key``'s bucket: 0.0 when allowed, else seconds to wait (Retry-After)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > MAX_CALLERS:
                self._buckets.popitem(last=False)
            return wait

    retry_after = staticmethod(retry_after)


# One statement takes a request from a bucket (creating it full) and says whether it could:
# atomic across processes without an explicit transaction. Times are wall-clock seconds
# (shared by every process); a clock step back refills nothing (max 0).
_ACQUIRE = """
INSERT INTO buckets (key, tokens, last, allowed) VALUES (:key, :burst - 1, :now, 1)
ON CONFLICT (key) DO UPDATE SET
    allowed = min(:burst, tokens + max(0, :now - last) * :rate) >= 1,
    tokens = min(:burst, tokens + max(0, :now - last) * :rate)
             - (min(:burst, tokens + max(0, :now - last) * :rate) >= 1),
    last = :now
RETURNING allowed, tokens
"""


class SharedRateLimiter:
    """The same buckets as :class:`RateLimiter`, kept in a SQLite file shared by worker processes."""

    def __init__(self, rate: float, burst: int, path: Path) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers never wait; one short write per request
        self._db.execute("PRAGMA synchronous=OFF")  # rate state is disposable: no fsync per request
        self._db.execute("CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL, last REAL, allowed INTEGER)")
        self._lock = threading.Lock()
        self._calls = 0

    def acquire(self, key: str, now: float | None = None) -> float:
        """Take one request from ``key``'s bucket: 0.0 when allowed, else seconds to wait (Retry-After)."""
        now = time.time() if now is None else now
        hashed = hashlib.sha256(key.encode()).hexdigest()[:32]
        with self._lock:
            allowed, tokens = self._db.execute(_ACQUIRE, {"key": hashed, "burst": self.burst, "now": now, "rate": self.rate}).fetchone()
            self._calls += 1
            if self._calls % PRUNE_EVERY == 0:  # a bucket full again is the same as no bucket
                self._db.execute("DELETE FROM buckets WHERE last < ?", (now - self.burst / self.rate,))
        return 0.0 if allowed else (1.0 - tokens) / self.rate

    retry_after = staticmethod(retry_after)

    def close(self) -> None:
        """Close the file (the worker is stopping)."""
        with self._lock:
            self._db.close()
