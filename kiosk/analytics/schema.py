"""The analytics database: its tables, its migrations and how it is opened.

One plain SQLite file, readable by any SQLite tool and by Datasette as it is:

- ``events``: one row per event. ``kiosk`` names the machine, ``run`` is a random number drawn
  each time the kiosk program starts and ``seq`` counts that run's events, so ``(run, seq)``
  identifies an event everywhere and a merge never counts it twice (the table's primary key is
  ``(event, ts, run, seq)``, which keeps each kind of event together, in time order). ``ts`` is
  the kiosk's local time with its UTC offset (ISO 8601, milliseconds), ``release`` the content
  release shown, ``visit`` the kiosk's visit counter (a number, not a person; empty outside a
  visit) and ``event`` the event's name. The other columns hold the event's own fields.
- ``meta``: key/value facts about the file (``kiosk_id``, ``next_visit``, ``created``).
- ``merges``: what ``kiosk stats merge`` brought in, file by file.
- views (``visits``, ``explorer_ranking``, ``segment_completion``, ``language_shares``,
  ``faults_by_kind``, ``visits_per_day``) that answer the curators' usual questions.

The schema version is SQLite's ``user_version``; each migration runs once, in one transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a database is opened for writing: keeps `kiosk --help` quick
    import sqlite_utils

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"

COMPLETE_SHARE = 0.9
"""A segment counts as watched to the end when the visitor got through this share of it."""

EVENT_COLUMNS: tuple[str, ...] = (
    "kiosk",
    "run",
    "seq",
    "ts",
    "release",
    "visit",
    "event",
    "scene",
    "explorer",
    "segment",
    "lang",
    "captions",
    "reason",
    "fault",
    "seconds",
    "length_s",
)
"""The columns of ``events``, in the order writers fill them."""

INSERT_EVENTS = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})"
)


class SchemaError(Exception):
    """The file is not an analytics database this program can use."""


_EVENTS_V1 = """
CREATE TABLE events (
    kiosk TEXT NOT NULL,
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    release TEXT NOT NULL,
    visit INTEGER,
    event TEXT NOT NULL,
    scene TEXT,
    explorer TEXT,
    segment TEXT,
    lang TEXT,
    captions INTEGER,
    reason TEXT,
    fault TEXT,
    seconds REAL,
    length_s REAL,
    PRIMARY KEY (event, ts, run, seq)
) WITHOUT ROWID"""

# Rows are kept in (event, ts) order, so "events of one name since a date" is one contiguous
# range, and (run, seq) in the key makes a copied event collide with itself: merges
# insert-or-ignore on it. The partial index serves the explorer and clip tables in the order
# they group by, without sorting.
_EXPLORER_INDEX_V1 = """
CREATE INDEX events_by_explorer
    ON events (event, explorer, segment, run, visit, seconds, length_s)
    WHERE explorer IS NOT NULL"""


def _v1_tables(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.execute(_EVENTS_V1)
    db.execute(_EXPLORER_INDEX_V1)
    db.table("merges").create(
        {
            "id": int,
            "merged_at": str,
            "source": str,
            "kiosks": str,
            "events_read": int,
            "events_added": int,
        },
        pk="id",
    )


_V2_VIEWS: dict[str, str] = {
    "visits": """
        SELECT kiosk, visit, ts AS ended, seconds AS length_s, reason AS end_reason, release
        FROM events WHERE event = 'visit_ended'""",
    "visits_per_day": """
        SELECT substr(ts, 1, 10) AS day, count(*) AS visits
        FROM events WHERE event = 'visit_started' GROUP BY day ORDER BY day""",
    "explorer_ranking": """
        SELECT explorer, count(*) AS opens,
               count(DISTINCT kiosk || ':' || run || ':' || visit) AS visits
        FROM events WHERE event = 'explorer_opened' GROUP BY explorer ORDER BY opens DESC""",
    "segment_completion": f"""
        SELECT explorer, segment, count(*) AS watched,
               sum(seconds >= {COMPLETE_SHARE} * length_s) AS completed,
               round(1.0 * sum(seconds >= {COMPLETE_SHARE} * length_s) / count(*), 3)
                   AS completion_rate
        FROM events WHERE event = 'segment_watched'
        GROUP BY explorer, segment ORDER BY explorer, segment""",
    "language_shares": """
        SELECT lang, count(*) AS chosen,
               round(1.0 * count(*) / (SELECT count(*) FROM events
                                       WHERE event = 'language_chosen'), 3) AS share
        FROM events WHERE event = 'language_chosen' GROUP BY lang ORDER BY chosen DESC""",
    "faults_by_kind": """
        SELECT fault AS kind, count(*) AS faults, max(ts) AS last_seen
        FROM events WHERE event = 'fault' GROUP BY fault ORDER BY faults DESC""",
}


def _v2_views(db: sqlite_utils.Database) -> None:
    for name, sql in _V2_VIEWS.items():
        db.create_view(name, sql.strip())


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_v1_tables, _v2_views)
"""Migration n (1-based) brings a file from version n-1 to n. Never edit a shipped one."""

SCHEMA_VERSION = len(MIGRATIONS)


def version(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """The file's schema version (0 for an empty file)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the file up to SCHEMA_VERSION; return the version it had. Raises SchemaError."""
    found = version(db)
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema version {found} is newer than this program knows "
            f"({SCHEMA_VERSION}); update the kiosk program"
        )
    if found == 0 and any(
        t not in ("meta", "events", "merges") for t in db.table_names()
    ):  # an unrelated database: never write our tables into it
        raise SchemaError("this SQLite file is not a kiosk analytics database")
    for number in range(found + 1, SCHEMA_VERSION + 1):
        with db.atomic():
            MIGRATIONS[number - 1](db)
            db.execute(f"PRAGMA user_version = {number}")
        log.info("analytics database migrated to schema version %d", number)
    return found


def connect(path: Path, *, busy_timeout_s: float) -> sqlite_utils.Database:
    """Open (or create) a database for writing, with settings for a machine that loses power.

    WAL journal: readers never block the writer and a torn write cannot corrupt the file.
    ``synchronous=FULL``: each commit is on disk when it returns; the writer commits in batches,
    so this costs one sync every few seconds and a power cut loses at most the last batch.
    """
    # A URI connection also lets ATTACH take "?mode=ro" URIs (merges read sources that way).
    import sqlite_utils

    conn = sqlite3.connect(
        path.absolute().as_uri(), timeout=busy_timeout_s, isolation_level=None, uri=True
    )
    db = sqlite_utils.Database(conn, execute_plugins=False)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA temp_store = MEMORY")
        # Keep the write-ahead log from growing without bound between checkpoints.
        db.execute("PRAGMA journal_size_limit = 8388608")
    except BaseException:
        conn.close()
        raise
    return db


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open a database only to read it (reports, merges), never changing the file.

    A kiosk may be writing the file at the same moment: WAL lets us read alongside. Where the
    write-ahead log cannot be used (a copy on read-only media), the file is read as it stands.
    Plain ``sqlite3``: reports need nothing more, and start quicker without it.
    """
    if not path.is_file():
        raise SchemaError(f"{path}: no such database file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head and head != SQLITE_HEADER:
        raise SchemaError(f"{path}: not a SQLite database")
    uri = path.resolve().as_uri()
    last: sqlite3.Error | None = None
    for query in ("?mode=ro", "?immutable=1"):
        conn = sqlite3.connect(uri + query, uri=True, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            found = version(conn)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.Error as exc:
            conn.close()
            last = exc
            continue
        if found > SCHEMA_VERSION:
            conn.close()
            raise SchemaError(
                f"{path}: schema version {found} is newer than this program knows "
                f"({SCHEMA_VERSION}); update the kiosk program"
            )
        if "events" not in tables:
            conn.close()
            raise SchemaError(f"{path}: not a kiosk analytics database (no events table)")
        return conn
    raise SchemaError(f"{path}: cannot read the database: {last}")


def meta_get(db: sqlite_utils.Database, key: str) -> str | None:
    """One value from the meta table, or None."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def meta_set(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Set one value in the meta table (inside the caller's transaction, if any)."""
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])
