"""The bounded log file: a fallback for when the kiosk's stderr does not go to the journal.

Under the installed unit stderr is the systemd journal, which is already bounded
(``SystemMaxUse=`` in the installer's journald drop-in) and survives reboots; a second copy on
disk would only wear the SD card. Started any other way (by hand, from a desktop autostart) the
lines would be lost, so ``logs.to_file: auto`` then adds a :class:`RotatingFileHandler`: at most
``max_mb`` per file and ``backups`` old files, never more.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from logging.handlers import RotatingFileHandler
from typing import TextIO

from kiosk.logs import FORMAT
from kiosk.settings import Settings

log = logging.getLogger(__name__)


def under_journal(env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (stderr) is connected to the systemd journal.

    systemd sets ``$JOURNAL_STREAM`` to ``device:inode`` of the stream it connected; a child that
    inherited the variable but has its stderr elsewhere does not match.
    """
    env = os.environ if env is None else env
    value = env.get("JOURNAL_STREAM", "")
    if not value:
        return False
    stream = sys.stderr if stream is None else stream
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return value == f"{st.st_dev}:{st.st_ino}"


def setup_file_log(
    settings: Settings, env: Mapping[str, str] | None = None
) -> RotatingFileHandler | None:
    """Add the rotating log file to the root logger when the settings ask for it.

    Returns the handler (to remove it on shutdown), or None when no file is used. A file that
    cannot be opened is logged and skipped: logging must never stop the kiosk.
    """
    cfg = settings.logs
    mode = cfg.to_file.strip().lower()
    if mode not in ("auto", "always", "never"):
        log.warning("logs.to_file: %r is not auto, always or never; using auto", cfg.to_file)
        mode = "auto"
    if mode == "never" or (mode == "auto" and under_journal(env)):
        return None
    path = settings.resolve(cfg.file)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path,
            maxBytes=max(1, int(cfg.max_mb * 1024 * 1024)),
            # backupCount=0 would turn rotation off and let the file grow without end.
            backupCount=max(1, cfg.backups),
            encoding="utf-8",
            delay=True,
        )
    except OSError as exc:
        log.warning("cannot log to %s: %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter(FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    logging.getLogger().addHandler(handler)
    return handler
