"""Statistics back from the kiosks: a snapshot each kiosk exports, merged on the curator's machine.

:func:`export_snapshot` copies a kiosk's analytics database with SQLite's backup API, which
reads it in one transaction alongside the kiosk's writer (WAL), so the snapshot is one
consistent moment. The copy is switched to the rollback journal (a reader then needs no ``-wal``
or ``-shm`` beside it, so nothing is ever created in the curator's receive-only folder) and put
into the kiosk's send-only ``stats-<kiosk>`` folder as ``analytics.sqlite`` with the kiosk's one
atomic write (:mod:`kiosk.fsutil`; its temporary file outside the synced folder).
Syncthing carries it to the curator's machine. A database that has not changed since the last
export is not copied again.

:func:`merge_fleet` merges every kiosk's snapshot into one database with
:func:`kiosk.analytics.merge.merge`, which inserts only events it has not seen (each event is
identified by its run and sequence number), so merging as often as one likes never counts an
event twice. Each snapshot is first copied out of the synced folder, so Syncthing may replace it
at any moment without disturbing the merge.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.analytics.merge import MergedSource, merge
from kiosk.fleet.layout import SNAPSHOT_NAME, FleetError, FleetHome
from kiosk.fsutil import atomic_stream

_CHUNK = 1 << 20

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Export:
    """What one export did."""

    path: Path
    copied: bool  # False: the database had not changed since the last snapshot
    events: int
    at: float


def _signature(db: Path) -> list[int]:
    """Size and modification time of the database and its write-ahead log: changes with data.

    An empty log counts as none: reading a WAL database (this export) may create one.
    """
    out: list[int] = []
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            st = path.stat()
        except FileNotFoundError:
            out += [0, 0]
            continue
        out += [st.st_size, st.st_mtime_ns if st.st_size else 0]
    return out


def export_snapshot(
    db: Path,
    home: FleetHome,
    kiosk: str,
    *,
    last: list[int] | None = None,
    now: float | None = None,
) -> tuple[Export | None, list[int]]:
    """Export ``db`` into the kiosk's stats folder unless it matches ``last`` (its signature at
    the previous export). Returns (what was done or None when there is no database yet, the
    signature to pass next time). Raises FleetError when the database cannot be read."""
    now = time.time() if now is None else now
    dest = home.stats_dir(kiosk) / SNAPSHOT_NAME
    if not db.is_file():
        return None, []
    signature = _signature(db)
    if last is not None and signature == last and dest.is_file():
        return Export(dest, False, -1, now), signature
    home.tmp.mkdir(parents=True, exist_ok=True)
    # The backup needs a database file of its own to write: a scratch copy outside the synced
    # folder, never synced (it lives a moment, in the page cache), then put in place with the
    # kiosk's one atomic write, which makes that copy durable.
    with tempfile.TemporaryDirectory(prefix="export-", dir=home.tmp) as scratch:
        tmp = Path(scratch) / SNAPSHOT_NAME
        events = _backup(db, tmp)
        with tmp.open("rb") as src, atomic_stream(dest, 0o644, tmp_dir=home.tmp) as out:
            shutil.copyfileobj(src, out, _CHUNK)
    log.info("fleet: statistics exported (%d events) to %s", events, dest)
    return Export(dest, True, events, now), signature


def _backup(db: Path, tmp: Path) -> int:
    """Copy ``db`` into the new database ``tmp`` in one consistent moment (rollback journal);
    returns its number of events. FleetError when the database cannot be read."""
    try:
        src = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise FleetError(f"{db}: cannot open the analytics database: {exc}") from None
    try:
        dst = sqlite3.connect(tmp)
        try:
            dst.execute("PRAGMA synchronous = OFF")
            # One step: the whole copy is read in one transaction, one consistent moment.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            return int(dst.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise FleetError(f"{db}: the snapshot failed: {exc}") from None
    finally:
        src.close()


def snapshots(home: FleetHome) -> dict[str, Path]:
    """Every kiosk's snapshot on the curator's machine, by kiosk name."""
    out: dict[str, Path] = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(os.scandir(home.stats_root), key=lambda e: e.name):
            path = Path(entry.path) / SNAPSHOT_NAME
            if entry.is_dir() and path.is_file():
                out[entry.name] = path
    return out


def merge_fleet(home: FleetHome, output: Path) -> list[MergedSource]:
    """Merge every kiosk's snapshot into ``output`` (created if missing); see the docstring.

    Raises FleetError when there is nothing to merge; MergeError from the merge itself.
    """
    found = snapshots(home)
    if not found:
        raise FleetError(
            f"no kiosk statistics in {home.stats_root} yet (a kiosk exports its own every few "
            "minutes once it is paired)"
        )
    home.tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="merge-", dir=home.tmp) as tmp:
        copies = []
        for kiosk, path in found.items():
            copy = Path(tmp) / f"{kiosk}.sqlite"
            try:
                shutil.copyfile(path, copy)
            except OSError as exc:
                raise FleetError(f"{path}: cannot be read: {exc}") from None
            copies.append(copy)
        return merge(copies, output)
