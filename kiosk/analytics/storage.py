"""The writer thread's hold on the database file: open it, write a batch, survive trouble.

Nothing here raises past :class:`Store`'s methods except :class:`StoreProblem`, which says in words
what went wrong and whether trying again at once makes sense (a deleted or damaged file has been
dealt with and a new one can be started) or only later (a full disk, a lock, a read-only file).
A damaged file is renamed aside, never deleted, and a new one is started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.analytics import schema

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

# SQLite's primary result codes (https://www.sqlite.org/rescode.html).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


class StoreProblem(Exception):
    """Why a write did not happen. ``retry_now``: the cause was dealt with; try again at once."""

    def __init__(self, message: str, *, retry_now: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry_now = retry_now


def new_kiosk_id() -> str:
    """A random machine identity, made once per database when none is configured."""
    return f"kiosk-{secrets.token_hex(4)}"


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


class Store:
    """The database as the writer sees it. Used from the writer thread only."""

    def __init__(self, path: Path, *, kiosk_id: str, busy_timeout_s: float) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.kiosk_id: str | None = kiosk_id or None
        self._configured = bool(kiosk_id)
        self.next_visit: int | None = None
        self._db: sqlite_utils.Database | None = None
        self._ident: tuple[int, int] | None = None
        self._checked = False

    @property
    def ready(self) -> bool:
        """True once the kiosk's identity and visit counter are known (the file opened once)."""
        return self.kiosk_id is not None and self.next_visit is not None

    # -- opening -----------------------------------------------------------------------------

    def open(self) -> None:
        """Open the file (creating or repairing it) unless it is open and still the same file."""
        if self._db is not None:
            self._check_same_file()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreProblem(f"cannot create the folder {self.path.parent}: {exc}") from None
        if self._header_is_bad():
            raise self._quarantine("it is not a SQLite database")
        try:
            db = schema.connect(self.path, busy_timeout_s=self.busy_timeout_s)
        except sqlite3.Error as exc:
            raise self._diagnose(exc) from None
        self._db = db
        try:
            if not self._checked:
                rows = db.execute("PRAGMA quick_check").fetchall()
                if [r[0] for r in rows] != ["ok"]:
                    raise self._quarantine(f"quick_check: {rows[0][0]}")
                self._checked = True
            schema.migrate(db)
            self._adopt_identity(db)
            st = os.stat(self.path)
            self._ident = (st.st_dev, st.st_ino)
        except schema.SchemaError as exc:
            self.close()
            raise StoreProblem(str(exc)) from None
        except sqlite3.Error as exc:
            problem = self._diagnose(exc)
            self.close()  # half-opened: start from scratch next time
            raise problem from None
        except OSError as exc:
            self.close()
            raise StoreProblem(f"cannot open the database: {exc}") from None

    def _adopt_identity(self, db: sqlite_utils.Database) -> None:
        stored_id = schema.meta_get(db, "kiosk_id")
        stored_visit = int(schema.meta_get(db, "next_visit") or 1)
        if self.kiosk_id is None:
            self.kiosk_id = stored_id or new_kiosk_id()
        # A new file after a loss continues the counter this program was at.
        self.next_visit = max(stored_visit, self.next_visit or 1)
        if stored_id != self.kiosk_id or schema.meta_get(db, "created") is None:
            with db.atomic():
                if stored_id != self.kiosk_id:
                    if stored_id is not None and self._configured:
                        log.info("analytics: kiosk id %s replaces %s", self.kiosk_id, stored_id)
                    schema.meta_set(db, "kiosk_id", self.kiosk_id)
                if schema.meta_get(db, "created") is None:
                    schema.meta_set(db, "created", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
                schema.meta_set(db, "next_visit", str(self.next_visit))

    def _header_is_bad(self) -> bool:
        try:
            with self.path.open("rb") as fh:
                head = fh.read(16)
        except FileNotFoundError:
            return False
        except OSError:
            return False  # unreadable: sqlite will say why
        return bool(head) and head != schema.SQLITE_HEADER

    def _check_same_file(self) -> None:
        """Notice a file deleted, replaced or overwritten under an open connection."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.close()
            raise StoreProblem(
                "the database file was deleted; starting a new one", retry_now=True
            ) from None
        except OSError as exc:
            self.close()
            raise StoreProblem(f"cannot see the database file: {exc}") from None
        if (st.st_dev, st.st_ino) != self._ident:
            self.close()
            raise StoreProblem(
                "the database file was replaced by another; continuing in the new one",
                retry_now=True,
            )
        if self._header_is_bad():
            raise self._quarantine("its first bytes were overwritten")

    # -- writing -----------------------------------------------------------------------------

    def write(self, kiosk: str, rows: Sequence[tuple[Any, ...]], next_visit: int) -> None:
        """Insert rows (without their kiosk column) in one transaction. Raises StoreProblem."""
        self.open()
        db = self._db
        assert db is not None
        try:
            db.execute("BEGIN IMMEDIATE")
            db.conn.executemany(schema.INSERT_EVENTS, [(kiosk, *r) for r in rows])
            schema.meta_set(db, "next_visit", str(next_visit))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                if db.conn.in_transaction:
                    db.execute("ROLLBACK")
            raise self._diagnose(exc) from None

    def close(self, *, checkpoint: bool = False) -> None:
        """Close the connection; with ``checkpoint``, fold the write-ahead log in first."""
        db, self._db, self._ident = self._db, None, None
        if db is None:
            return
        if checkpoint:
            with contextlib.suppress(sqlite3.Error):
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with contextlib.suppress(sqlite3.Error):
            db.close()

    # -- trouble -----------------------------------------------------------------------------

    def _diagnose(self, exc: sqlite3.Error) -> StoreProblem:
        """Turn a SQLite error into a problem, after doing what can be done about it."""
        code = _code(exc)
        detail = str(exc)
        if self._db is not None and self._ident is not None:
            try:
                st = os.stat(self.path)
                gone = (st.st_dev, st.st_ino) != self._ident
            except FileNotFoundError:
                gone = True
            except OSError:
                gone = False
            if gone:
                self.close()
                return StoreProblem(
                    "the database file was deleted or replaced; starting a new one",
                    retry_now=True,
                )
        if code in (_CORRUPT, _NOTADB):
            return self._quarantine(detail)
        if code in (_BUSY, _LOCKED):
            # Keep the connection: the lock is someone else's and will pass.
            return StoreProblem("the database is locked by another program")
        self.close()
        if code == _FULL:
            return StoreProblem("the disk is full")
        if code in (_READONLY, _IOERR, _CANTOPEN):
            why = self._why_unwritable()
            if why:
                return StoreProblem(f"{why} ({detail})")
        if code == _READONLY:
            return StoreProblem(f"the database is read-only ({detail})")
        if code == _IOERR:
            return StoreProblem(f"cannot write to the disk: full or failing ({detail})")
        if code == _CANTOPEN:
            return StoreProblem(f"cannot open the database file ({detail})")
        return StoreProblem(f"database error: {detail}")

    def _why_unwritable(self) -> str | None:
        """Name the usual reason a write failed, by looking at the disk and the file."""
        folder = self.path.parent
        try:
            fs = os.statvfs(folder)
        except OSError:
            return None
        if fs.f_flag & os.ST_RDONLY:
            return "the disk holding the database is mounted read-only"
        if fs.f_bavail == 0:
            return "the disk is full"
        if self.path.exists() and not os.access(self.path, os.W_OK):
            return "the database file is read-only"
        if not os.access(folder, os.W_OK):
            return "the database folder is read-only"
        return None

    def _quarantine(self, why: str) -> StoreProblem:
        """Move a damaged file (and its log) aside under a new name; never delete it.

        The files are renamed *before* the connection closes: SQLite then sees the file moved
        and skips its checkpoint-on-close, so the damaged file stays exactly as it was found
        and the write-ahead log (the latest good pages) is kept beside it.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, target)
            for suffix in ("-wal", "-shm"):
                side = Path(f"{self.path}{suffix}")
                if side.exists():
                    os.replace(side, Path(f"{target}{suffix}"))
        except FileNotFoundError:
            pass
        except OSError as exc:
            self.close()
            return StoreProblem(
                f"the database file is damaged ({why}) and cannot be moved aside: {exc}"
            )
        self.close()
        self._checked = True  # the new file starts empty and sound
        log.error("analytics database damaged (%s): moved aside to %s", why, target.name)
        return StoreProblem(
            f"the database file was damaged ({why}); moved it aside to {target.name} "
            "and started a new one",
            retry_now=True,
        )
