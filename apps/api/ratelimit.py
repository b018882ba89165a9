"""Per-caller rate limit: an in-process token bucket per token, user or anonymous client address.

The limits are declared once in ``core/settings.py`` (``ApiSettings``). One API process serves
the observatory (see ``observatoire serve``), so in-process buckets are exact; several processes
would each allow the declared rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

MAX_CALLERS = 10_000  # least recently seen callers are forgotten beyond this (memory bound)


class RateLimiter:
    """``rate`` requests per second sustained, ``burst`` at once, per caller key."""

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

    @staticmethod
    def retry_after(wait: float) -> str:
        """The Retry-After header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))
