"""One digest of the files (and tool versions) a cached outcome depends on.

A gate's verdict and the dbt unit tests' outcome are reused while nothing they depend on
changed; both ask the same question, so both use :func:`files_digest`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def files_digest(roots: Iterable[Path], base: Path, versions: Iterable[str] = ()) -> str:
    """Digest of ``versions`` and of every file under ``roots`` (a root may be one file): each file's
    path relative to ``base`` and its bytes, in sorted order; ``__pycache__`` and missing roots skipped."""
    digest = hashlib.sha256(" ".join(versions).encode())
    for root in roots:
        files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if root.is_dir() else [root]
        for path in files:
            if path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
