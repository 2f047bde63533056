"""Small file helpers shared by the ops modules: atomic replacement and settings-relative paths."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from kiosk.settings import Settings


def resolve(settings: Settings, value: str) -> Path:
    """A path from the settings, relative ones taken from the settings file's folder."""
    path = Path(value)
    return path if path.is_absolute() else settings.base_dir / path


def atomic_write(path: Path, data: bytes, mode: int = 0o644, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a reader never sees a half-written file.

    The bytes go to a temporary file in the same folder (``os.replace`` is only atomic within one
    file system) and, when ``durable``, synced before the rename, so a power cut leaves the old or
    the new file, never an empty one.

    Run as root (a technician's ``sudo kiosk admin ...``), a replaced file keeps its owner and a
    new one takes the owner and group of its folder, so the kiosk user can still read and update
    its own state files afterwards (root-owned files in /var/lib/kiosk would lock it out).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = path.parent.stat()
    owner = (st.st_uid, st.st_gid)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if os.geteuid() == 0 and owner != (0, 0):
            os.chown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
