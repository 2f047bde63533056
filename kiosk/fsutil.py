"""Writing a file so that a crash or a power cut leaves the old file or the new one, never half.

The one atomic write of the kiosk, for the operations' state files (PIN, lock-out, health), the
releases folder's state and the content packs a curator makes. The bytes go to a temporary file
in the same folder (``os.replace`` is atomic only within one file system), are synced, renamed
over the target, and then the folder is synced so that the rename itself survives a power cut.

Temporary files are named ``.<name>.<random>.tmp``, so whoever owns a folder can recognise and
remove what an interrupted write left behind. A caller whose folder others watch (a Syncthing
folder) passes ``tmp_dir``: a folder of its own on the same file system for the temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

TMP_SUFFIX = ".tmp"


def fsync_dir(path: Path) -> None:
    """Make the names in ``path`` (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_stream(
    path: Path,
    mode: int = 0o644,
    *,
    durable: bool = True,
    on_step: Callable[[str], None] | None = None,
    tmp_dir: Path | None = None,
) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new content into, in as many chunks as needed.

    When the block ends normally the file replaces ``path``; when it raises, ``path`` is left as
    it was and the temporary file is removed. With ``durable`` the file is synced before the
    rename and the folder after it. ``on_step`` is called after each step that changes what a
    power cut would leave ("written", "renamed", "folder synced"), so a caller can count them.
    ``tmp_dir`` (same file system as ``path``) holds the temporary file instead of ``path``'s
    folder.

    Run as root (a technician's ``sudo kiosk ...``), a replaced file keeps its owner and a new one
    takes the owner and group of its folder, so the kiosk's user can still read and replace its
    own files afterwards (root-owned files in /var/lib/kiosk would lock it out).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = path.parent.stat()
    owner = (st.st_uid, st.st_gid)
    # mkstemp opens with O_EXCL and O_NOFOLLOW: never through a planted link.
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
    folder = path.parent if tmp_dir is None else tmp_dir
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if os.geteuid() == 0 and owner != (0, 0):
            os.chown(tmp, *owner)
        if on_step is not None:
            on_step(f"{path.name}: written")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if on_step is not None:
        on_step(f"{path.name}: renamed")
    if durable:
        fsync_dir(path.parent)
        if on_step is not None:
            on_step(f"{path.name}: folder synced")


def atomic_write(
    path: Path,
    data: bytes,
    mode: int = 0o644,
    durable: bool = True,
    *,
    on_step: Callable[[str], None] | None = None,
    tmp_dir: Path | None = None,
) -> None:
    """Replace ``path`` with ``data`` so that a reader never sees a half-written file.

    See :func:`atomic_stream` for the guarantees, the owner, ``on_step`` and ``tmp_dir``.
    """
    with atomic_stream(path, mode, durable=durable, on_step=on_step, tmp_dir=tmp_dir) as fh:
        fh.write(data)


def os_error_text(exc: OSError) -> str:
    """An OS error in the plain words a curator or technician reads."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()
