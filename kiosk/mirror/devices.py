"""Where the mirror's picture comes from, looked up without opening it (and without OpenCV).

The kiosk asks every few seconds whether to offer the mirror (:func:`camera_present`); a kiosk
without a camera must be able to ask without loading the mirror's libraries.
"""

from __future__ import annotations

import sys
from pathlib import Path


def is_camera_spec(spec: str) -> bool:
    """A camera index (``0``, ``1``...) rather than a file to read."""
    return spec.strip().isdigit()


def camera_present(spec: str) -> bool:
    """Whether the configured source is there, without opening (and so switching on) a camera.

    A camera index is looked up as ``/dev/videoN`` on Linux; elsewhere it is assumed present and
    the mirror finds out when it opens. A file must exist.
    """
    spec = spec.strip()
    if is_camera_spec(spec):
        if sys.platform.startswith("linux"):
            return Path(f"/dev/video{int(spec)}").exists()
        return True
    return Path(spec).is_file()
