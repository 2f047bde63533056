"""Combine the databases of several kiosks into one, without ever counting an event twice.

Every event row carries its kiosk's id and its ``(run, seq)`` identity, and the ``events`` table
has a unique index on ``(run, seq)``; merging inserts what is new and ignores what is already
there. Merging the same file again, a newer copy of it, or a merged file into another merged file
adds only events not seen before. The sources are opened read-only and never changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.analytics import schema

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergedSource:
    """What one source file brought."""

    source: str
    kiosks: tuple[str, ...]
    events_read: int
    events_added: int


class MergeError(Exception):
    """A source or the output cannot be used."""


def merge(sources: Sequence[Path], output: Path) -> list[MergedSource]:
    """Merge ``sources`` into ``output`` (created if missing). Raises MergeError."""
    out_resolved = output.resolve()
    for src in sources:
        if src.resolve() == out_resolved:
            raise MergeError(f"{src}: the output cannot also be a source")
    opened = []
    for src in sources:
        try:
            db = schema.open_readonly(src)
        except schema.SchemaError as exc:
            raise MergeError(str(exc)) from None
        opened.append((src, db))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        target = schema.connect(output, busy_timeout_s=5.0)
    except Exception as exc:
        for _, db in opened:
            db.close()
        raise MergeError(f"{output}: cannot open for writing: {exc}") from None
    results = []
    try:
        try:
            schema.migrate(target)
        except schema.SchemaError as exc:
            raise MergeError(f"{output}: {exc}") from None
        with target.atomic():
            schema.meta_set(target, "role", "merged")
        cols = ", ".join(schema.EVENT_COLUMNS)
        for src, db in opened:
            kiosks = tuple(r[0] for r in db.execute("SELECT DISTINCT kiosk FROM events"))
            read = int(db.execute("SELECT count(*) FROM events").fetchone()[0])
            db.close()
            # Attach by URI, read-only, so the source is never written (not even its WAL).
            uri = src.resolve().as_uri() + "?mode=ro"
            target.execute("ATTACH DATABASE ? AS src", [uri])
            try:
                with target.atomic():
                    before = target.conn.total_changes
                    target.execute(
                        f"INSERT OR IGNORE INTO events ({cols}) SELECT {cols} FROM src.events"
                    )
                    added = target.conn.total_changes - before
                    target.table("merges").insert(
                        {
                            "merged_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                            "source": src.name,
                            "kiosks": ",".join(kiosks),
                            "events_read": read,
                            "events_added": added,
                        }
                    )
            finally:
                target.execute("DETACH DATABASE src")
            log.debug("merged %s: %d events read, %d new", src.name, read, added)
            results.append(MergedSource(src.name, kiosks, read, added))
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except MergeError:
        raise
    except Exception as exc:
        raise MergeError(f"merge failed: {exc}") from None
    finally:
        target.close()
        for _, db in opened:
            db.close()
    return results
