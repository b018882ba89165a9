"""Recently served JSON pages, kept as bytes: a service polling the same query gets them again.

A page is fully determined by the published state (dataset, Delta version or release and its
stamp), the query string and the host its links point to, so the key holds exactly those: a new
publication changes the stamp and no older entry can be served for it. Access is checked, the
rate limit applied and the read audited before the cache is consulted, on every request; the
cache only skips running the query and serialising it again. Bounded in entries and bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

MAX_ENTRIES = 2_048
MAX_BYTES = 32 * 1024 * 1024  # all entries together
MAX_ENTRY_BYTES = 256 * 1024  # larger pages are served but not kept

Key = tuple[str, str, str, str, bytes]  # kind, dataset, stamp, host, raw query string


class PageCache:
    """An LRU of ``key -> (body, rows on the page)``."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, tuple[bytes, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: Key) -> tuple[bytes, int] | None:
        """The cached page for ``key``, if any."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: Key, body: bytes, rows: int) -> None:
        """Keep ``body`` for ``key`` (unless it is too large), evicting the least recently used."""
        if len(body) > MAX_ENTRY_BYTES:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous[0])
            self._entries[key] = (body, rows)
            self._bytes += len(body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (old, _) = self._entries.popitem(last=False)
                self._bytes -= len(old)
