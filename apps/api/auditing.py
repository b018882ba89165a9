"""Audit writing for the API: reads are buffered and appended in batches, never one commit per read.

Authenticated reads become :class:`~orchestration.core.audit.AuditEvent` rows of the audit
table; public open-data reads are only counted, per dataset and format (no address, no filter,
no time finer than the flush window). A background thread flushes every ``flush_seconds`` or as
soon as ``flush_events`` reads wait; :meth:`AuditWriter.close` flushes what is left (shutdown).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from orchestration.core import audit
from orchestration.core.audit import AuditEvent

log = logging.getLogger(__name__)


class AuditWriter:
    """Buffer of audit events and public read counts for one lake."""

    def __init__(self, audit_path: Path, flush_seconds: float = 1.0, flush_events: int = 500) -> None:
        self.audit_path = audit_path
        self.counts_path = audit.public_reads_path(audit_path)
        self.flush_seconds = flush_seconds
        self.flush_events = flush_events
        self._events: list[AuditEvent] = []
        self._counts: Counter[tuple[str, str]] = Counter()
        self._counted_from = datetime.now(UTC)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one writer at a time: the flusher or close()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.commits = 0  # Delta commits made (tests check batching)

    def start(self) -> None:
        """Start the background flusher (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-flusher", daemon=True)
            self._thread.start()

    def record(self, event: AuditEvent) -> None:
        """Queue one authenticated read."""
        with self._lock:
            self._events.append(event)
            full = len(self._events) >= self.flush_events
        if full:
            self._wake.set()

    def count_public(self, dataset: str, fmt: str) -> None:
        """Count one public read of ``dataset`` in ``fmt`` (nothing else is kept about it)."""
        with self._lock:
            self._counts[(dataset, fmt)] += 1

    def flush(self) -> int:
        """Write what is buffered now (one commit per table at most); returns audit rows written."""
        with self._flush_lock:
            with self._lock:
                events, self._events = self._events, []
                counts, self._counts = self._counts, Counter()
                counted_from, self._counted_from = self._counted_from, datetime.now(UTC)
            written = 0
            try:
                if events:
                    written = audit.append(self.audit_path, events)
                    self.commits += 1
                if counts:
                    audit.append_public_counts(self.counts_path, counted_from, self._counted_from, counts)
                    self.commits += 1
            except Exception:
                # Keep the reads for the next attempt rather than losing the trail.
                log.exception("audit flush failed; %d reads kept for the next attempt", len(events))
                with self._lock:
                    self._events[:0] = events
                    self._counts.update(counts)
                return 0
            return written

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def close(self) -> None:
        """Stop the flusher and write everything still buffered."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()
