"""Evidence kept for rejected deliveries, under ``quarantine/files``: encrypted, owner-only.

A rejected file may hold anything the partner sent (names, e-mails, phones), so it is never kept
as is: its bytes are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
the pseudonymisation key by HKDF (a separate purpose label, so neither key reveals the other),
and written owner-read/write only (0600, folder 0700). The file is named by its checksum: the
partner's file name (which may itself be personal) stays in the restricted
``quarantine/deliveries`` table only. Retention removes it by its recorded reception date
(:func:`orchestration.core.governance.apply_retention`). Operators read it back with
:func:`read_evidence` (``observatoire`` has the key; nobody else does).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from orchestration.core.settings import Settings

_PURPOSE = b"observatoire/quarantine-files/v1"
EVIDENCE_SUFFIX = ".enc"


def _fernet(key: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def evidence_folder(settings: Settings, feed: str) -> Path:
    return settings.quarantine / "files" / feed


def keep_evidence(settings: Settings, feed: str, data: bytes, checksum: str) -> Path:
    """Encrypt ``data`` into ``quarantine/files/<feed>/<checksum>.enc`` (0600); return its path.

    Idempotent: the same bytes (same checksum) are kept once, whatever the file was called.
    """
    folder = evidence_folder(settings, feed)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    os.chmod(folder.parent, 0o700)
    kept = folder / f"{checksum}{EVIDENCE_SUFFIX}"
    if kept.exists():
        return kept
    token = _fernet(settings.key).encrypt(data)
    partial = kept.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(token)
        partial.replace(kept)  # a crash (disk full) never leaves a half-written evidence file
    finally:
        partial.unlink(missing_ok=True)
    return kept


def read_evidence(settings: Settings, kept: Path, key: bytes | None = None) -> bytes:
    """Decrypt a kept file (for an operator answering the partner); needs the key it was kept under."""
    return _fernet(key or settings.key).decrypt(kept.read_bytes())


def reencrypt_evidence(settings: Settings, old_key: bytes, new_key: bytes) -> int:
    """Re-encrypt every kept file under ``new_key`` (key rotation); returns how many."""
    count = 0
    for kept in sorted((settings.quarantine / "files").glob(f"*/*{EVIDENCE_SUFFIX}")):
        token = _fernet(new_key).encrypt(_fernet(old_key).decrypt(kept.read_bytes()))
        partial = kept.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(token)
        partial.replace(kept)
        count += 1
    return count
