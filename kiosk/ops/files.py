"""Small file helpers shared by the ops modules: settings-relative paths, and the atomic write.

The atomic write itself lives in :mod:`kiosk.fsutil` (one implementation for the whole kiosk);
it is named here too because the ops modules and the admin scene take it from this module.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.fsutil import atomic_write
from kiosk.settings import Settings

__all__ = ["atomic_write", "resolve"]


def resolve(settings: Settings, value: str) -> Path:
    """A path from the settings, relative ones taken from the settings file's folder."""
    path = Path(value)
    return path if path.is_absolute() else settings.base_dir / path
