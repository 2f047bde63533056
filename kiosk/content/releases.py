"""The releases folder: install a pack (staged, then one atomic switch), roll back, health check.

Installed collections live in a releases folder (``ROOT``, the settings' ``paths.releases``)::

    ROOT/releases/<version>-<hash8>/content/...   one complete collection per release
    ROOT/releases/<version>-<hash8>/manifest.json (+ .minisig, as signed)
    ROOT/current -> releases/<name>               the release the kiosk shows
    ROOT/state.json                               health check: boots, confirmed, previous, bad
    ROOT/watch.json                               packs the watched folder has offered

An install verifies the pack (:mod:`kiosk.content.packs`), unpacks it into ``ROOT/.staging-*``,
syncs every file and folder, validates the result, renames it into ``releases/`` and then
replaces ``current`` with a new symlink in one rename. Killed at any moment, the kiosk finds
``current`` pointing at a complete old or a complete new release; leftovers (``.staging-*``,
``.trash-*``, temporary links) are removed by the next run. Every change runs under an exclusive
lock on ``ROOT/.lock``.

After a switch the app calls :func:`begin_boot` at each start and :func:`confirm` once an explorer
has loaded; a release that fails to start ``max_boots`` times is left for the previous one, like
an A/B update with boot counting (:func:`reject` leaves it at once). :func:`scan_watch_folder`
installs packs found on a USB stick.

Pure like the rest of the domain: media are checked through a ``probe`` function passed in.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import logging
import os
import re
import secrets
import shutil
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.content.packs import (
    CONTENT,
    DEFAULT_MAX_PACK_BYTES,
    MANIFEST,
    MANIFEST_SIG,
    PACK_SUFFIX,
    PackError,
    VerifiedPack,
    copy_checked,
    iter_files,
    open_pack,
)
from kiosk.content.signing import PublicKey
from kiosk.content.validate import Prober, Report, validate

log = logging.getLogger(__name__)

DEFAULT_KEEP = 3
DEFAULT_MAX_BOOTS = 3
# The power-cut test sets this to N: the installer SIGKILLs itself at its N-th durable step.
KILL_ENV = "KIOSK_TEST_KILL_AT_STEP"
_RELEASE_RE = re.compile(r"^(?P<version>\d{1,20})-(?P<hash>[0-9a-f]{8})(?:-(?P<n>\d{1,4}))?$")


@dataclass(frozen=True)
class Release:
    """An installed collection in ``ROOT/releases/<name>``."""

    name: str
    version: int
    path: Path
    created: str = ""
    title: str = ""
    files: int = 0
    total_bytes: int = 0

    @property
    def content(self) -> Path:
        return self.path / CONTENT

    @property
    def base(self) -> str:
        """``<version>-<hash8>`` without a reinstall suffix."""
        m = _RELEASE_RE.match(self.name)
        return f"{m['version']}-{m['hash']}" if m else self.name

    @property
    def sort_key(self) -> tuple[int, int, str]:
        m = _RELEASE_RE.match(self.name)
        return (self.version, int(m["n"] or 1) if m else 0, self.name)


def _release(root: Path, name: str) -> Release | None:
    m = _RELEASE_RE.match(name)
    path = root / "releases" / name
    if not m or not path.is_dir() or path.is_symlink():
        return None
    created = title = ""
    files = size = 0
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        created, title = str(data.get("created", "")), str(data.get("title", ""))
        files, size = len(data.get("files", [])), int(data.get("total_bytes", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return Release(name, int(m["version"]), path, created, title, files, size)


def releases(root: Path) -> list[Release]:
    """Installed releases, oldest version first."""
    folder = Path(root) / "releases"
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    found = [r for n in names if (r := _release(Path(root), n)) is not None]
    return sorted(found, key=lambda r: r.sort_key)


def current_release(root: Path) -> Release | None:
    """The release ``ROOT/current`` points at, or None when nothing is installed."""
    try:
        target = os.readlink(Path(root) / "current")
    except (FileNotFoundError, OSError):
        return None
    parts = Path(target).parts
    if len(parts) != 2 or parts[0] != "releases":
        return None
    return _release(Path(root), parts[1])


def current_content(root: Path) -> Path | None:
    """The content folder the kiosk should show from ``root``, or None."""
    rel = current_release(root)
    return rel.content if rel is not None else None


# --- durable file-system steps --------------------------------------------------------------


class _Job:
    """One locked change of a releases folder.

    It counts its durable steps (the power-cut test kills the process at step N, see KILL_ENV)
    and, when root works in a folder that belongs to the kiosk's user (a technician's sudo),
    gives every new file to that user so the kiosk can still switch and clean up later.
    """

    def __init__(self, root: Path) -> None:
        raw = os.environ.get(KILL_ENV, "")
        self.kill_at = int(raw) if raw.isdigit() else None
        self.count = 0
        self.owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            st = root.stat()
            if st.st_uid != 0:
                self.owner = (st.st_uid, st.st_gid)

    def step(self) -> None:
        self.count += 1
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def adopt(self, path: Path) -> None:
        if self.owner is not None:
            os.lchown(path, *self.owner)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durable(path: Path, data: bytes, job: _Job) -> None:
    """Replace ``path`` atomically: temporary file, fsync, rename, fsync of the folder."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    job.adopt(tmp)
    job.step()
    os.replace(tmp, path)
    job.step()
    _fsync_dir(path.parent)
    job.step()


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    # Read-only is enough for flock, and works on a lock file another user created.
    fd = os.open(root / ".lock", os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another content command to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _cleanup(root: Path) -> None:
    """Remove what an interrupted run left behind (under the lock, so never a live run's)."""
    for folder in (root, root / "releases"):
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        for name in names:
            if name.startswith((".staging-", ".trash-", ".current-")) or (
                name.startswith(".") and name.endswith(".tmp")
            ):
                _remove_tree(folder / name)


def _switch(root: Path, name: str, job: _Job) -> None:
    """Point ``ROOT/current`` at ``releases/<name>`` in one rename."""
    tmp = root / f".current-{secrets.token_hex(4)}"
    os.symlink(f"releases/{name}", tmp)
    job.adopt(tmp)
    job.step()
    os.replace(tmp, root / "current")
    job.step()
    _fsync_dir(root)
    job.step()


# --- health-check state ---------------------------------------------------------------------


@dataclass
class State:
    """``ROOT/state.json``: how the current release is doing, and where to go back to."""

    release: str | None = None
    previous: str | None = None
    boots: int = 0
    confirmed: bool = False
    bad: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "previous": self.previous,
            "boots": self.boots,
            "confirmed": self.confirmed,
            "bad": self.bad,
        }


def read_state(root: Path) -> State:
    try:
        data = json.loads((Path(root) / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return State()
    if not isinstance(data, dict):
        return State()

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    boots = data.get("boots")
    bad = data.get("bad")
    return State(
        release=text("release"),
        previous=text("previous"),
        boots=boots if isinstance(boots, int) and boots >= 0 else 0,
        confirmed=data.get("confirmed") is True,
        bad=[b for b in bad if isinstance(b, str)] if isinstance(bad, list) else [],
    )


def _write_state(root: Path, state: State, job: _Job) -> None:
    data = json.dumps(state.as_dict(), indent=1).encode("utf-8") + b"\n"
    _write_durable(root / "state.json", data, job)


def _older_than(root: Path, release: Release, exclude: set[str]) -> Release | None:
    """The newest release below ``release`` (by version), skipping ``exclude``."""
    older = [
        r
        for r in releases(root)
        if r.sort_key < release.sort_key and r.name not in exclude and r.base not in exclude
    ]
    return older[-1] if older else None


# --- install --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallResult:
    """What an install did. ``steps`` counts its durable steps (for the power-cut test)."""

    release: Release
    previous: Release | None
    pack: VerifiedPack
    report: Report
    removed: tuple[str, ...]
    steps: int


def install_pack(
    pack_path: Path,
    root: Path,
    trusted: Sequence[PublicKey],
    *,
    probe: Prober | None = None,
    force: bool = False,
    keep: int = DEFAULT_KEEP,
    max_bytes: int = DEFAULT_MAX_PACK_BYTES,
) -> InstallResult:
    """Verify, unpack, validate and switch to ``pack_path``; see the module's docstring.

    Refused packs leave ``root`` as it was. ``force`` allows a downgrade or a reinstall.
    """
    root = Path(root)
    pack = open_pack(pack_path, trusted, max_bytes)
    manifest = pack.manifest
    with _locked(root):
        job = _Job(root)
        _cleanup(root)
        current = current_release(root)
        state = read_state(root)
        if current is not None and not force:
            if manifest.version < current.version:
                raise PackError(
                    f"refused: version {manifest.version} is older than the installed "
                    f"{current.version} (a downgrade); use --force to install it anyway"
                )
            if manifest.version == current.version:
                same = current.base == manifest.release_name
                what = "this pack is" if same else f"version {manifest.version} is"
                raise PackError(
                    f"refused: {what} already installed ({current.name}); "
                    "use --force to install it again"
                )
        if manifest.release_name in state.bad and not force:
            raise PackError(
                f"refused: release {manifest.release_name} failed its start-up check before; "
                "fix the collection and pack it again, or use --force"
            )
        need = manifest.total_bytes + (64 << 20)
        free = shutil.disk_usage(root).free
        if free < need:
            raise PackError(
                f"not enough disk space: the collection needs {need >> 20} MB, "
                f"{free >> 20} MB are free (remove old releases or fit a larger disk)"
            )
        staging = root / f".staging-{secrets.token_hex(6)}"
        try:
            report = _unpack(pack, staging, probe, job)
            name = _free_name(root, manifest.release_name, current, state)
            if not (root / "releases").is_dir():
                (root / "releases").mkdir()
                job.adopt(root / "releases")
            _fsync_dir(root)
            os.rename(staging, root / "releases" / name)
            job.step()
            _fsync_dir(root / "releases")
            _fsync_dir(root)
            job.step()
        except BaseException:
            _remove_tree(staging)
            raise
        _switch(root, name, job)
        previous = current if current is not None and current.name != name else None
        new_state = State(
            release=name,
            previous=previous.name if previous else None,
            bad=[b for b in state.bad if b != manifest.release_name],
        )
        _write_state(root, new_state, job)
        removed = _prune(root, keep, {name, new_state.previous or ""}, job)
        release = _release(root, name)
        assert release is not None
        return InstallResult(release, previous, pack, report, tuple(removed), job.count)


def _free_name(root: Path, base: str, current: Release | None, state: State) -> str:
    """``base``, or ``base-N`` when a release that must stay (current/previous) holds it."""
    keep = {current.name if current else "", state.previous or ""}
    name, n = base, 1
    while (root / "releases" / name).exists():
        if name not in keep:
            trash = root / f".trash-{secrets.token_hex(4)}"
            os.rename(root / "releases" / name, trash)
            _remove_tree(trash)
            break
        n += 1
        name = f"{base}-{n}"
    return name


def _unpack(pack: VerifiedPack, staging: Path, probe: Prober | None, job: _Job) -> Report:
    content = staging / CONTENT
    staging.mkdir()
    content.mkdir()
    job.adopt(staging)
    job.adopt(content)
    job.step()
    made_dirs = [content]
    for entry, read in iter_files(pack):
        target = content / entry.path
        parent = target.parent
        if not parent.is_dir():
            missing = []
            p = parent
            while not p.is_dir():
                missing.append(p)
                p = p.parent
            for d in reversed(missing):
                d.mkdir()
                job.adopt(d)
                made_dirs.append(d)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(target, flags, 0o644)
        job.adopt(target)
        try:
            copy_checked(entry, read, functools.partial(_write_all, fd), job.step)
            os.fsync(fd)
        finally:
            os.close(fd)
        job.step()
    for name, data in ((MANIFEST, pack.manifest.raw), (MANIFEST_SIG, pack.signature)):
        fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        job.adopt(staging / name)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    for d in sorted(made_dirs, key=lambda p: len(p.parts), reverse=True):
        _fsync_dir(d)
    _fsync_dir(staging)
    job.step()
    report = validate(content, probe)
    if not report.ok:
        first = report.errors[0]
        where = first.path
        with contextlib.suppress(ValueError):
            where = first.path.relative_to(content)
        raise PackError(
            f"refused: the collection in the pack has {len(report.errors)} errors "
            f"(first: {where}:{first.line}: {first.message})"
        )
    job.step()
    return report


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _prune(root: Path, keep: int, protect: set[str], job: _Job) -> list[str]:
    """Remove the oldest releases beyond ``keep``, never a protected one."""
    keep = max(keep, 2)
    all_releases = releases(root)
    kept = [r for r in all_releases if r.name in protect]
    removed = []
    for r in reversed(all_releases):
        if r.name in protect:
            continue
        if len(kept) < keep:
            kept.append(r)
            continue
        trash = root / f".trash-{secrets.token_hex(4)}"
        os.rename(r.path, trash)
        job.step()
        _fsync_dir(root / "releases")
        _remove_tree(trash)
        job.step()
        removed.append(r.name)
    return removed


# --- rollback and the start-up health check ------------------------------------------------


def rollback(root: Path, to: str | None = None) -> tuple[Release, Release]:
    """Return to the previous release (or ``to``); (from, to). The next rollback goes further."""
    root = Path(root)
    with _locked(root):
        job = _Job(root)
        _cleanup(root)
        current = current_release(root)
        if current is None:
            raise PackError(f"{root}: no release is installed")
        state = read_state(root)
        target: Release | None
        if to is not None:
            target = _release(root, to)
            if target is None:
                names = ", ".join(r.name for r in releases(root)) or "none"
                raise PackError(f"no release {to!r} here (installed: {names})")
            if target.name == current.name:
                raise PackError(f"{to} is already the current release")
        else:
            target = None
            if state.release == current.name and state.previous:
                target = _release(root, state.previous)
            if target is None or target.name == current.name:
                target = _older_than(root, current, set())
            if target is None:
                raise PackError("there is no earlier release to return to")
        _switch(root, target.name, job)
        older = _older_than(root, target, {current.name, *state.bad})
        _write_state(
            root,
            State(release=target.name, previous=older.name if older else None, bad=state.bad),
            job,
        )
        return current, target


def _state_of(root: Path, current: Release) -> State:
    state = read_state(root)
    if state.release != current.name:
        # Installed (or switched by hand) but the state was not written yet: start counting.
        before = state.release if state.release and _release(root, state.release) else None
        state = State(release=current.name, previous=before, bad=state.bad)
    return state


def _fall_back(root: Path, current: Release, state: State, job: _Job) -> Release | None:
    """Leave ``current`` for its previous release and mark it bad; None if there is none."""
    previous = _release(root, state.previous) if state.previous else None
    if previous is None:
        return None
    _switch(root, previous.name, job)
    bad = [*state.bad, current.base][-20:]
    older = _older_than(root, previous, {current.name, *bad})
    _write_state(root, State(previous.name, older.name if older else None, 1, False, bad), job)
    return previous


def begin_boot(root: Path, max_boots: int = DEFAULT_MAX_BOOTS) -> Release | None:
    """Count a start of the current release; past ``max_boots`` unconfirmed, go back.

    The app calls this before loading content and :func:`confirm` once an explorer has loaded.
    Returns the release to show (None when nothing is installed).
    """
    root = Path(root)
    if not (root / "current").is_symlink():
        return None
    with _locked(root):
        job = _Job(root)
        current = current_release(root)
        if current is None:
            return None
        state = _state_of(root, current)
        if state.confirmed:
            return current
        state.boots += 1
        if state.boots > max_boots:
            previous = _fall_back(root, current, state, job)
            if previous is not None:
                log.warning(
                    "content release %s did not start %d times; back to %s",
                    current.name,
                    max_boots,
                    previous.name,
                )
                return previous
        _write_state(root, state, job)
        return current


def reject(root: Path) -> Release | None:
    """The current release cannot be shown (no explorer loads): go back to the previous now.

    For the app when it finds the release unusable without crashing. A release already confirmed
    is kept (a later failure is not the release's fault). Returns the release to show now.
    """
    root = Path(root)
    if not (root / "current").is_symlink():
        return None
    with _locked(root):
        current = current_release(root)
        if current is None:
            return None
        state = _state_of(root, current)
        if state.confirmed:
            return current
        previous = _fall_back(root, current, state, _Job(root))
        if previous is not None:
            log.warning(
                "content release %s cannot be shown; back to %s", current.name, previous.name
            )
            return previous
        return current


def confirm(root: Path) -> None:
    """The current release started well: stop counting its boots."""
    root = Path(root)
    if not (root / "current").is_symlink():
        return
    with _locked(root):
        current = current_release(root)
        if current is None:
            return
        state = _state_of(root, current)
        if state.confirmed:
            return
        state.confirmed, state.boots = True, 0
        _write_state(root, state, _Job(root))


# --- the watched folder (USB sticks) --------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    """One pack the watched folder offered, and what became of it."""

    path: Path
    installed: bool
    message: str
    release: Release | None = None


def _candidates(folder: Path, depth: int) -> list[Path]:
    out: list[Path] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return out
    for e in entries:
        if e.name.startswith("."):
            continue
        try:
            if e.is_symlink():
                continue
            if e.is_file() and e.name.lower().endswith(PACK_SUFFIX):
                out.append(Path(e.path))
            elif e.is_dir() and depth > 0:
                out += _candidates(Path(e.path), depth - 1)
        except OSError:
            continue
    return out


def scan_watch_folder(
    folder: Path,
    root: Path,
    trusted: Sequence[PublicKey],
    *,
    probe: Prober | None = None,
    keep: int = DEFAULT_KEEP,
    max_bytes: int = DEFAULT_MAX_PACK_BYTES,
    settle_s: float = 5.0,
    depth: int = 2,
    now: float | None = None,
) -> list[ScanResult]:
    """Install every new ``*.wrpack`` found in ``folder`` (and ``depth`` levels below).

    Each pack is tried once: what was tried is remembered in ``ROOT/watch.json`` by path, size
    and modification time, so a pack left on a stick is not installed again and again. A file
    modified less than ``settle_s`` ago is still being copied and waits for the next scan.
    Downgrades are never forced. Returns what this scan tried.
    """
    import time

    root = Path(root)
    now = time.time() if now is None else now
    memory_path = root / "watch.json"
    try:
        memory = json.loads(memory_path.read_text(encoding="utf-8"))
        tried = memory.get("tried", {}) if isinstance(memory, dict) else {}
        if not isinstance(tried, dict):
            tried = {}
    except (OSError, ValueError):
        tried = {}
    results: list[ScanResult] = []
    for path in _candidates(Path(folder), depth):
        try:
            st = path.stat()
        except OSError:
            continue
        key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        if key in tried or now - st.st_mtime < settle_s:
            continue
        try:
            done = install_pack(path, root, trusted, probe=probe, keep=keep, max_bytes=max_bytes)
            result = ScanResult(path, True, f"installed {done.release.name}", done.release)
        except PackError as exc:
            result = ScanResult(path, False, str(exc))
        except OSError as exc:
            result = ScanResult(path, False, f"{path}: {_reason(exc)}")
        log.info("watched folder: %s: %s", path, result.message)
        results.append(result)
        tried[key] = {"at": int(now), "installed": result.installed, "message": result.message}
        if len(tried) > 500:
            for old in sorted(tried, key=lambda k: tried[k].get("at", 0))[: len(tried) - 500]:
                del tried[old]
        with _locked(root):
            data = json.dumps({"tried": tried}, ensure_ascii=False, indent=1).encode("utf-8")
            _write_durable(memory_path, data, _Job(root))
    return results


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()
