"""The durable file-system steps every change of a releases folder is made of.

A change runs under an exclusive lock on ``ROOT/.lock`` (:func:`locked`) and first removes what
an interrupted one left behind (:func:`cleanup`). Each step that changes what a power cut would
leave is counted by the change's :class:`Job` and reported to its ``on_step`` callback, so a test
can stop the process at every one of them and check that the folder is never half-changed.
The switch to another release is one rename of a symlink (:func:`switch`); state files are
replaced with the kiosk's one atomic write (:mod:`kiosk.fsutil`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from kiosk.fsutil import TMP_SUFFIX, atomic_write, fsync_dir

log = logging.getLogger(__name__)

StepCallback = Callable[[str], None]
"""Called with a short description after each durable step of a change, e.g. to count them."""


class Job:
    """One locked change of a releases folder.

    It counts its durable steps (calling ``on_step`` after each) and, when root works in a
    folder that belongs to the kiosk's user (a technician's sudo), gives every new file to that
    user so the kiosk can still switch and clean up later.
    """

    def __init__(self, root: Path, on_step: StepCallback | None = None) -> None:
        self.on_step = on_step
        self.count = 0
        self.owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            st = root.stat()
            if st.st_uid != 0:
                self.owner = (st.st_uid, st.st_gid)

    def step(self, what: str) -> None:
        """A durable step is done: what a power cut now leaves has changed."""
        self.count += 1
        if self.on_step is not None:
            self.on_step(what)

    def adopt(self, path: Path) -> None:
        if self.owner is not None:
            os.lchown(path, *self.owner)


def write_durable(path: Path, data: bytes, job: Job) -> None:
    """Replace ``path`` atomically, each step of the write counted by ``job``."""
    atomic_write(path, data, on_step=job.step)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the releases folder's lock; waits while another command holds it."""
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


def remove_tree(path: Path) -> None:
    """Remove a file, a link or a whole folder; what is already gone is fine."""
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def trash_name(root: Path) -> Path:
    """A fresh name to rename a release to before removing it (gone at once for the kiosk)."""
    return root / f".trash-{secrets.token_hex(4)}"


def cleanup(root: Path) -> None:
    """Remove what an interrupted run left behind (under the lock, so never a live run's)."""
    for folder in (root, root / "releases"):
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        for name in names:
            if name.startswith((".staging-", ".trash-", ".current-")) or (
                name.startswith(".") and name.endswith(TMP_SUFFIX)
            ):
                remove_tree(folder / name)


def switch(root: Path, name: str, job: Job) -> None:
    """Point ``ROOT/current`` at ``releases/<name>`` in one rename."""
    tmp = root / f".current-{secrets.token_hex(4)}"
    os.symlink(f"releases/{name}", tmp)
    job.adopt(tmp)
    job.step(f"current -> {name}: link made")
    os.replace(tmp, root / "current")
    job.step(f"current -> {name}: renamed")
    fsync_dir(root)
    job.step(f"current -> {name}: folder synced")
