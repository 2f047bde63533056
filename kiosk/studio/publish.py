"""Publishing: the collection validated, packed and signed with the curator's key, and what
changed since the last pack.

The pack is made by the kiosk's own :func:`make_pack` after the kiosk's own validator (with the
deep media probe ``kiosk content pack`` uses), so a pack the studio makes installs on a kiosk
exactly as one made on the command line. Each pack's explorers are remembered (a hash of each
explorer folder's files) in ``.studio/last-pack.json``, which tells the curator what the next pack
adds, changes and removes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.fsutil import atomic_write
from kiosk.studio import parts
from kiosk.studio.store import STATE_DIR

RECORD = "last-pack.json"
REMOVABLE_ROOTS = (Path("/media"), Path("/run/media"), Path("/mnt"))


class PublishError(Exception):
    """The pack cannot be made; one line for the curator."""


def explorer_digests(root: Path) -> dict[str, str]:
    """A hash of every explorer folder's files (names and bytes), by folder name."""
    out: dict[str, str] = {}
    folder = root / "explorers"
    if not folder.is_dir():
        return out
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        h = hashlib.sha256()
        for path in sorted(sub.rglob("*")):
            if path.is_file() and not any(part.startswith(".") for part in path.parts[-2:]):
                h.update(path.relative_to(sub).as_posix().encode() + b"\0")
                with path.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
        out[sub.name] = h.hexdigest()
    return out


@dataclass(frozen=True)
class Changes:
    """What the next pack changes compared with the last one the studio made."""

    first: bool
    last_version: int | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def none(self) -> bool:
        return not (self.added or self.changed or self.removed)


def last_record(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / STATE_DIR / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def changes(root: Path, digests: dict[str, str] | None = None) -> Changes:
    now = digests if digests is not None else explorer_digests(root)
    last = last_record(root)
    if last is None:
        return Changes(True, None, sorted(now))
    before: dict[str, str] = last.get("explorers", {})
    return Changes(
        False,
        last.get("version"),
        sorted(set(now) - set(before)),
        sorted(k for k in set(now) & set(before) if now[k] != before[k]),
        sorted(set(before) - set(now)),
    )


def removable_drives() -> list[Path]:
    """Mounted removable drives (USB sticks) where a desktop puts them."""
    out: list[Path] = []
    for base in REMOVABLE_ROOTS:
        try:
            for level1 in sorted(base.iterdir()):
                if level1.is_dir() and os.path.ismount(level1):
                    out.append(level1)
                elif level1.is_dir():
                    out.extend(p for p in sorted(level1.iterdir()) if os.path.ismount(p))
        except OSError:
            continue
    return out


@dataclass(frozen=True)
class Published:
    path: Path
    version: int
    files: int
    bytes: int
    key_id: str | None
    changes: Changes


def publish(
    root: Path,
    out_dir: Path,
    key_file: Path,
    password: str,
    report: parts.Report,
    version: int | None = None,
) -> Published:
    """Pack and sign ``root`` into ``out_dir``; refuses a collection with errors."""
    packs, signing = parts.packs(), parts.signing()
    if not report.ok:
        raise PublishError(f"the collection has {len(report.errors)} errors; fix them first")
    if not out_dir.is_dir():
        raise PublishError(f"{out_dir}: no such folder (is the USB stick plugged in?)")
    try:
        text = key_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PublishError(f"{key_file}: cannot read the key ({exc.strerror})") from None
    try:
        encrypted = signing.SecretKey.is_encrypted(text)
        key = signing.SecretKey.parse(text, password if encrypted else None)
    except signing.SigningError as exc:
        raise PublishError(f"{key_file.name}: {exc}") from None
    digests = explorer_digests(root)
    diff = changes(root, digests)
    if version is None:
        # The kiosk's own default (date and time), chosen here so the file can carry it.
        version = int(_dt.datetime.now(_dt.UTC).strftime("%Y%m%d%H%M%S"))
    title = root.resolve().name or "collection"
    target = out_dir / f"{title}-{version}{packs.PACK_SUFFIX}"
    try:
        info = packs.make_pack(root, target, report, key=key, version=version)
    except packs.PackError as exc:
        raise PublishError(str(exc)) from None
    path = info.path
    m = info.manifest
    record = {"version": m.version, "pack": str(path), "explorers": digests}
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    atomic_write(state / RECORD, json.dumps(record, indent=1).encode("utf-8"))
    return Published(path, m.version, len(m.files), m.total_bytes, info.key_id, diff)
