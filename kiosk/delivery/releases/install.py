"""Install a pack into a releases folder (staged, then one atomic switch), and roll back.

An install verifies the pack (:mod:`kiosk.delivery.packs`), unpacks it into ``ROOT/.staging-*``,
syncs every file and folder, validates the result, renames it into ``releases/`` and then
replaces ``current`` with a new symlink in one rename. Killed at any moment, the kiosk finds
``current`` pointing at a complete old or a complete new release; leftovers (``.staging-*``,
``.trash-*``, temporary links and files) are removed by the next run. Every change runs under
an exclusive lock on ``ROOT/.lock``; its durable steps are reported to ``on_step``
(:mod:`.durable`).

Pure of pygame and PyAV: media are checked through a ``probe`` function passed in.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.content.validate import Prober, Report, validate
from kiosk.delivery.packs import (
    CONTENT,
    DEFAULT_MAX_PACK_BYTES,
    MANIFEST,
    MANIFEST_SIG,
    PackError,
    VerifiedPack,
    copy_checked,
    iter_files,
    open_pack,
)
from kiosk.delivery.releases.boot import State, read_state, write_state
from kiosk.delivery.releases.durable import (
    Job,
    StepCallback,
    cleanup,
    locked,
    remove_tree,
    switch,
    trash_name,
    write_all,
)
from kiosk.delivery.releases.listing import (
    Release,
    current_release,
    older_than,
    release,
    releases,
)
from kiosk.delivery.signing import PublicKey
from kiosk.fsutil import fsync_dir

DEFAULT_KEEP = 3


@dataclass(frozen=True)
class InstallResult:
    """What an install did. ``steps`` counts its durable steps (see ``on_step``)."""

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
    on_step: StepCallback | None = None,
    progress: Callable[[int], None] | None = None,
) -> InstallResult:
    """Verify, unpack, validate and switch to ``pack_path``; see the module's docstring.

    Refused packs leave ``root`` as it was. ``force`` allows a downgrade or a reinstall.
    ``on_step`` is called after each durable step (the power-cut test stops the process there).
    ``progress(bytes)``: how much of the pack file has been read, as it is unpacked.
    """
    root = Path(root)
    pack = open_pack(pack_path, trusted, max_bytes)
    manifest = pack.manifest
    with locked(root):
        job = Job(root, on_step)
        cleanup(root)
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
            report = _unpack(pack, staging, probe, job, progress)
            name = _free_name(root, manifest.release_name, current, state)
            if not (root / "releases").is_dir():
                (root / "releases").mkdir()
                job.adopt(root / "releases")
            fsync_dir(root)
            os.rename(staging, root / "releases" / name)
            job.step(f"releases/{name}: renamed into place")
            fsync_dir(root / "releases")
            fsync_dir(root)
            job.step(f"releases/{name}: folders synced")
        except BaseException:
            remove_tree(staging)
            raise
        switch(root, name, job)
        previous = current if current is not None and current.name != name else None
        new_state = State(
            release=name,
            previous=previous.name if previous else None,
            bad=[b for b in state.bad if b != manifest.release_name],
        )
        write_state(root, new_state, job)
        removed = _prune(root, keep, {name, new_state.previous or ""}, job)
        installed = release(root, name)
        assert installed is not None
        return InstallResult(installed, previous, pack, report, tuple(removed), job.count)


def _free_name(root: Path, base: str, current: Release | None, state: State) -> str:
    """``base``, or ``base-N`` when a release that must stay (current/previous) holds it."""
    keep = {current.name if current else "", state.previous or ""}
    name, n = base, 1
    while (root / "releases" / name).exists():
        if name not in keep:
            trash = trash_name(root)
            os.rename(root / "releases" / name, trash)
            remove_tree(trash)
            break
        n += 1
        name = f"{base}-{n}"
    return name


def _unpack(
    pack: VerifiedPack,
    staging: Path,
    probe: Prober | None,
    job: Job,
    progress: Callable[[int], None] | None = None,
) -> Report:
    content = staging / CONTENT
    staging.mkdir()
    content.mkdir()
    job.adopt(staging)
    job.adopt(content)
    job.step("staging folder made")
    made_dirs = [content]
    for entry, read in iter_files(pack, progress):
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
        what = f"staged {CONTENT}/{entry.path}"
        try:
            write = functools.partial(write_all, fd)
            copy_checked(entry, read, write, functools.partial(job.step, f"{what}: chunk"))
            os.fsync(fd)
        finally:
            os.close(fd)
        job.step(f"{what}: synced")
    for name, data in ((MANIFEST, pack.manifest.raw), (MANIFEST_SIG, pack.signature)):
        fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        job.adopt(staging / name)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    for d in sorted(made_dirs, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(d)
    fsync_dir(staging)
    job.step("staged manifest written, folders synced")
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
    job.step("staged collection validated")
    return report


def _prune(root: Path, keep: int, protect: set[str], job: Job) -> list[str]:
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
        trash = trash_name(root)
        os.rename(r.path, trash)
        job.step(f"releases/{r.name}: moved to the trash")
        fsync_dir(root / "releases")
        remove_tree(trash)
        job.step(f"releases/{r.name}: removed")
        removed.append(r.name)
    return removed


def rollback(root: Path, to: str | None = None) -> tuple[Release, Release]:
    """Return to the previous release (or ``to``); (from, to). The next rollback goes further."""
    root = Path(root)
    with locked(root):
        job = Job(root)
        cleanup(root)
        current = current_release(root)
        if current is None:
            raise PackError(f"{root}: no release is installed")
        state = read_state(root)
        target: Release | None
        if to is not None:
            target = release(root, to)
            if target is None:
                names = ", ".join(r.name for r in releases(root)) or "none"
                raise PackError(f"no release {to!r} here (installed: {names})")
            if target.name == current.name:
                raise PackError(f"{to} is already the current release")
        else:
            target = None
            if state.release == current.name and state.previous:
                target = release(root, state.previous)
            if target is None or target.name == current.name:
                target = older_than(root, current, set())
            if target is None:
                raise PackError("there is no earlier release to return to")
        switch(root, target.name, job)
        older = older_than(root, target, {current.name, *state.bad})
        write_state(
            root,
            State(release=target.name, previous=older.name if older else None, bad=state.bad),
            job,
        )
        return current, target
