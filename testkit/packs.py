"""Pack helpers shared by the pack, power-cut and reload tests.

Build a signed pack from a collection folder, make two editions of a collection tell apart, and
check that an installed release is complete (every file of its manifest with its hash, nothing
else).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kiosk.content.validate import validate
from kiosk.delivery import packs, releases
from kiosk.delivery.signing import SecretKey


def build_pack(src: Path, out: Path, key: SecretKey | None, version: int) -> Path:
    """Pack ``src`` (media not probed: the test collections' clips are known good)."""
    packs.make_pack(src, out, validate(src), key=key, version=version)
    return out


def retitle(src: Path, title: str) -> None:
    """Make a collection visibly different from another one (its English title)."""
    path = src / "collection.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = f"title: {{ru: Белая дорога, en: {title}}}\n"
    path.write_text("".join(lines), encoding="utf-8")


def release_is_complete(release: releases.Release) -> bool:
    """Every file of the release's manifest is there with its hash, and nothing else."""
    manifest = packs.Manifest.parse((release.path / packs.MANIFEST).read_bytes())
    found = {
        p.relative_to(release.content).as_posix() for p in release.content.rglob("*") if p.is_file()
    }
    if found != {f.path for f in manifest.files}:
        return False
    return all(
        hashlib.sha256((release.content / f.path).read_bytes()).hexdigest() == f.sha256
        for f in manifest.files
    )
