"""The watched folder: install each new signed pack found on a USB stick (or any folder), once.

What was tried is remembered in ``ROOT/watch.json`` by path, size and modification time, so a pack
left on a stick is not installed again and again, and a refused one is not retried until it
changes.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.content.validate import Prober
from kiosk.delivery.packs import DEFAULT_MAX_PACK_BYTES, PACK_SUFFIX, PackError
from kiosk.delivery.releases.durable import locked
from kiosk.delivery.releases.install import DEFAULT_KEEP, install_pack
from kiosk.delivery.releases.listing import Release
from kiosk.delivery.signing import PublicKey
from kiosk.fsutil import atomic_write, os_error_text

log = logging.getLogger(__name__)

_MAX_REMEMBERED = 500


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

    Each pack is tried once (see the module's docstring). A file modified less than ``settle_s``
    ago is still being copied and waits for the next scan. Downgrades are never forced.
    Returns what this scan tried.
    """
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
            result = ScanResult(path, False, f"{path}: {os_error_text(exc)}")
        log.info("watched folder: %s: %s", path, result.message)
        results.append(result)
        tried[key] = {"at": int(now), "installed": result.installed, "message": result.message}
        if len(tried) > _MAX_REMEMBERED:
            oldest = sorted(tried, key=lambda k: tried[k].get("at", 0))
            for old in oldest[: len(tried) - _MAX_REMEMBERED]:
                del tried[old]
        with locked(root):
            data = json.dumps({"tried": tried}, ensure_ascii=False, indent=1).encode("utf-8")
            atomic_write(memory_path, data)
    return results
