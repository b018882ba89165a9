"""Release layout of an open dataset: one folder per version, ``latest`` pointing at the newest.

``<lake>/open_data/<dataset>/<version>/`` never changes once written (stable URLs), where
``<version>`` is the last closed period it covers (``2026-W12``, ``2026-03``, ``2018``...);
``<lake>/open_data/<dataset>/latest`` is a symlink swapped atomically. Earlier versions are kept:
they are what an attacker can compare, so the disclosure audit reads them all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

LATEST = "latest"
LEGACY_VERSIONS = ".versions"  # releases from before versioned folders (partial periods possible)


def dataset_folder(open_data: Path, dataset: str) -> Path:
    return open_data / dataset


def versions(folder: Path) -> list[Path]:
    """Published version folders of a dataset, oldest first."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def latest(folder: Path) -> Path | None:
    """The version ``latest`` points at, if any."""
    link = folder / LATEST
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def read_release(version_dir: Path, dataset: str, closed: bool = True) -> pd.DataFrame:
    """A release's published table, with ``periode_close`` telling whether its periods were complete."""
    table = pd.read_parquet(version_dir / f"{dataset}.parquet")
    table["periode_close"] = closed
    return table


def earlier_releases(open_data: Path, dataset: str) -> list[pd.DataFrame]:
    """Every release of ``dataset`` still in the lake, legacy ones (possibly partial) included."""
    frames = [read_release(v, dataset) for v in versions(dataset_folder(open_data, dataset))]
    legacy = open_data / LEGACY_VERSIONS / dataset
    if legacy.is_dir():
        frames += [read_release(v, dataset, closed=False) for v in sorted(legacy.iterdir()) if (v / f"{dataset}.parquet").exists()]
    return frames


def prepare_folder(folder: Path) -> None:
    """Make ``folder`` a directory of versions (an old-layout symlink is dropped; its target stays)."""
    if folder.is_symlink():
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)


def install(staging: Path, folder: Path, version: str) -> Path:
    """Move a complete staging folder to ``<folder>/<version>`` and point ``latest`` at it atomically."""
    final = folder / version
    if final.exists():
        shutil.rmtree(staging)
        raise FileExistsError(f"{final} is already published; a published version is never rewritten")
    staging.rename(final)
    link = folder / f".{LATEST}.link"
    link.unlink(missing_ok=True)
    link.symlink_to(version, target_is_directory=True)
    os.replace(link, folder / LATEST)  # rename(2) over the old link: readers never see a gap
    return final
