"""The installed releases of a releases folder, read only: which there are, and which is current.

``ROOT/releases/<version>-<hash8>[-N]`` holds one complete collection each (``-N`` when the same
pack was installed again), and ``ROOT/current`` is a symlink to the one the kiosk shows.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kiosk.delivery.packs import CONTENT, MANIFEST

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


def release(root: Path, name: str) -> Release | None:
    """The release ``name`` in ``root``, or None if there is no such release folder."""
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
    found = [r for n in names if (r := release(Path(root), n)) is not None]
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
    return release(Path(root), parts[1])


def current_content(root: Path) -> Path | None:
    """The content folder the kiosk should show from ``root``, or None."""
    rel = current_release(root)
    return rel.content if rel is not None else None


def older_than(root: Path, newer: Release, exclude: set[str]) -> Release | None:
    """The newest release below ``newer`` (by version), skipping the names in ``exclude``."""
    older = [
        r
        for r in releases(root)
        if r.sort_key < newer.sort_key and r.name not in exclude and r.base not in exclude
    ]
    return older[-1] if older else None
