"""The studio's files: YAML read and written back as the curator wrote it, atomically, with history.

Every file the studio changes goes through :class:`Store`:

- YAML is read with ruamel's round-trip loader and dumped with the same settings, so comments,
  key order, quoting, flow maps and block texts survive; a file opened and saved unchanged is
  byte-identical, and a changed field changes only its own line.
- A save is atomic (temporary file in the same folder, fsync, rename, fsync of the folder), so a
  power cut leaves the old file or the new one, never half of each.
- Before a file is replaced, its old bytes go to ``.studio/history/`` (a dot folder: never packed),
  where the curator can look through them and restore one.
- Each page carries the version (a hash) of the file it showed; a save whose version no longer
  matches is refused with :class:`ChangedElsewhere`, under a per-file lock, so two browser tabs
  never overwrite each other's work unnoticed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from kiosk import yamlsrc
from kiosk.fsutil import atomic_write
from kiosk.studio.security import PathRefused, inside

STATE_DIR = ".studio"
HISTORY_KEEP = 200


class ChangedElsewhere(Exception):
    """The file changed on disk since the page was opened (another tab, another program)."""


class BrokenFile(Exception):
    """A YAML file that cannot be read; carries the validator's ``path:line`` problem."""

    def __init__(self, problem: yamlsrc.Problem, text: str) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.text = text


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    # Long museum texts stay on one line, as curators wrote them; never re-wrapped.
    y.width = 1 << 16
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class Doc:
    """A YAML document as ruamel holds it, with the file it came from and its version."""

    path: Path
    data: Any
    version: str


@dataclass(frozen=True)
class Saved:
    """One earlier version of a file, kept in the history."""

    name: str
    when: str
    size: int


class Store:
    """Reads and writes the files of one collection folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._locks: dict[Path, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- paths ------------------------------------------------------------------------------
    def path(self, rel: str | Path) -> Path:
        """The file ``rel`` inside the collection; :class:`PathRefused` if it would leave it."""
        return inside(self.root, str(rel))

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    def explorer_file(self, slug: str) -> Path:
        return self.path(f"explorers/{slug}/explorer.yaml")

    # -- reading ----------------------------------------------------------------------------
    def read_bytes(self, path: Path) -> bytes:
        return path.read_bytes()

    def load(self, path: Path) -> Doc:
        """The round-trip document; :class:`BrokenFile` (with the validator's own message and
        the raw text to fix) when the file is not valid YAML."""
        raw = path.read_bytes()
        return self.load_text(path, raw.decode("utf-8", errors="replace"), version_of(raw))

    def load_text(self, path: Path, text: str, version: str = "") -> Doc:
        """Like :meth:`load` for text not yet written (the curator's raw edit)."""
        try:
            # The kiosk's own reader first: its message is the one `kiosk content validate` gives.
            yamlsrc.loads(text, path)
        except yamlsrc.YamlError as exc:
            raise BrokenFile(exc.problem, text) from None
        try:
            data = _yaml().load(text)
        except YAMLError as exc:
            raise BrokenFile(yamlsrc.Problem(path, 0, f"YAML syntax: {exc}"), text) from None
        return Doc(path, data, version)

    def version(self, path: Path) -> str:
        try:
            return version_of(path.read_bytes())
        except FileNotFoundError:
            return ""

    @staticmethod
    def dump(data: Any) -> bytes:
        buf = io.StringIO()
        _yaml().dump(data, buf)
        return buf.getvalue().encode("utf-8")

    # -- writing ----------------------------------------------------------------------------
    def _lock(self, path: Path) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(path, threading.Lock())

    @contextlib.contextmanager
    def locked(self, path: Path) -> Iterator[None]:
        """Hold the file's lock: one thread of this studio, and one studio process, at a time."""
        lockdir = self.state / "locks"
        lockdir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(str(path).encode()).hexdigest()[:16]
        with self._lock(path), (lockdir / name).open("a") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def save_doc(self, doc: Doc) -> str:
        """Write ``doc`` back if its file is still the version it was read at; the new version."""
        return self.write(doc.path, self.dump(doc.data), expect=doc.version)

    def write(self, path: Path, data: bytes, *, expect: str | None = None) -> str:
        """Replace ``path`` atomically with ``data``, keeping the old bytes in the history.

        ``expect`` is the version the curator's page showed (None: a new file, or no check).
        Nothing is written, and no history kept, when the bytes do not change.
        """
        with self.locked(path):
            old = path.read_bytes() if path.exists() else None
            current = version_of(old) if old is not None else ""
            if expect is not None and expect != current:
                raise ChangedElsewhere(str(path.relative_to(self.root)))
            if old == data:
                return current
            if old is not None:
                self._keep(path, old)
            atomic_write(path, data)
            return version_of(data)

    # -- history ----------------------------------------------------------------------------
    def _history_dir(self, path: Path) -> Path:
        rel = path.relative_to(self.root).as_posix().replace("/", "__")
        return self.state / "history" / rel

    def _keep(self, path: Path, old: bytes) -> None:
        folder = self._history_dir(path)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        atomic_write(folder / f"{stamp}{path.suffix}", old)
        kept = sorted(folder.iterdir())
        for extra in kept[:-HISTORY_KEEP]:
            extra.unlink(missing_ok=True)

    def history(self, path: Path) -> list[Saved]:
        """Earlier versions of ``path``, newest first."""
        folder = self._history_dir(path)
        if not folder.is_dir():
            return []
        out = []
        for f in sorted(folder.iterdir(), reverse=True):
            stamp = f.stem
            try:
                when = _dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=_dt.UTC)
                shown = when.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            except ValueError:
                shown = stamp
            out.append(Saved(f.name, shown, f.stat().st_size))
        return out

    def saved_bytes(self, path: Path, name: str) -> bytes:
        folder = self._history_dir(path)
        return inside(folder, name).read_bytes()

    def restore(self, path: Path, name: str) -> str:
        """Make an earlier version current again (the version replaced goes to the history)."""
        return self.write(path, self.saved_bytes(path, name))


__all__ = ["BrokenFile", "ChangedElsewhere", "Doc", "PathRefused", "Saved", "Store"]
