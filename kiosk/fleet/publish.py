"""Publishing a pack to the fleet: into the curator's send-only ``packs`` folder, atomically.

:func:`publish` checks that the file is a content pack (and, given trusted keys, verifies it
completely), copies it into the fleet home's ``.tmp``, syncs it and renames it into ``packs/``,
so Syncthing only ever sees the whole file; then asks Syncthing to rescan the folder now (its
file watcher would notice within seconds anyway). Older packs beyond the newest ``keep`` are
removed from the folder (the kiosks keep their installed releases; only the copies in the
folder go). The publication is remembered in ``state.json`` and, when a text file is given,
written for Prometheus (node_exporter's textfile collector) as
``kiosk_fleet_published_pack_version`` and ``kiosk_fleet_published_timestamp_seconds``, which
the alert "pack not installed an hour after publishing" compares with each kiosk's figures.
"""

from __future__ import annotations

import contextlib
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.delivery.packs import MANIFEST, PACK_SUFFIX, Manifest, PackError, verify_pack
from kiosk.delivery.signing import PublicKey
from kiosk.fleet.layout import (
    PACKS_FOLDER,
    ROLE_CURATOR,
    FleetError,
    FleetHome,
    atomic_copy,
)
from kiosk.fleet.mesh import pack_names
from kiosk.fleet.rest import SyncthingClient, SyncthingError
from kiosk.fsutil import atomic_write, fsync_dir

DEFAULT_KEEP = 3
_MAX_MANIFEST = 16 << 20


@dataclass(frozen=True)
class Published:
    """What :func:`publish` did."""

    path: Path
    version: int
    release_name: str
    size: int
    removed: tuple[str, ...]
    scanned: bool  # Syncthing was asked to rescan (False: its watcher will notice)
    at: float


def read_manifest(path: Path) -> Manifest:
    """The manifest of a pack, not verified (for naming and ordering packs); PackError."""
    try:
        with tarfile.open(path, mode="r:") as tf:
            member = tf.next()
            if member is None or member.name != MANIFEST or not member.isreg():
                raise PackError(f"{path.name}: not a White Road content pack")
            if member.size > _MAX_MANIFEST:
                raise PackError(f"{path.name}: the manifest is too large")
            reader = tf.extractfile(member)
            raw = reader.read() if reader is not None else b""
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise PackError(f"{path.name}: cannot be read as a pack: {exc}") from None
    return Manifest.parse(raw)


def _prune(folder: Path, keep: int, protect: str) -> list[str]:
    """Remove all but the ``keep`` newest packs (by manifest version) from ``folder``."""
    versions: list[tuple[int, str]] = []
    for name in pack_names(folder):
        try:
            versions.append((read_manifest(folder / name).version, name))
        except PackError:
            versions.append((-1, name))  # not a pack at all: first to go
    versions.sort()
    removed = []
    for _, name in versions[: max(0, len(versions) - keep)]:
        if name != protect:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
            removed.append(name)
    if removed:
        fsync_dir(folder)
    return removed


def textfile_figures(version: int, at: float) -> str:
    """The curator's figures for Prometheus' text format."""
    return (
        "# HELP kiosk_fleet_published_pack_version Version of the pack last published.\n"
        "# TYPE kiosk_fleet_published_pack_version gauge\n"
        f"kiosk_fleet_published_pack_version {version}\n"
        "# HELP kiosk_fleet_published_timestamp_seconds When it was published (Unix time).\n"
        "# TYPE kiosk_fleet_published_timestamp_seconds gauge\n"
        f"kiosk_fleet_published_timestamp_seconds {at:.0f}\n"
    )


def publish(
    pack: Path,
    home: FleetHome,
    client: SyncthingClient | None,
    *,
    trusted: Sequence[PublicKey] = (),
    keep: int = DEFAULT_KEEP,
    progress: Callable[[int], None] | None = None,
    textfile: Path | None = None,
    now: float | None = None,
) -> Published:
    """Publish ``pack`` to every kiosk; see the module's docstring. Raises FleetError or
    PackError (the pack is refused) before anything reaches the folder."""
    node = home.node()
    if node.role != ROLE_CURATOR:
        raise FleetError("packs are published from the curator's machine, not from a kiosk")
    pack = Path(pack)
    if not pack.name.lower().endswith(PACK_SUFFIX) or pack.name.startswith((".", "~")):
        raise FleetError(f"{pack.name}: a pack's name ends in {PACK_SUFFIX} (and is not hidden)")
    if not pack.is_file():
        raise FleetError(f"{pack}: no such file")
    manifest = verify_pack(pack, trusted).manifest if trusted else read_manifest(pack)
    if keep < 1:
        raise FleetError("keep at least the pack being published")
    if not home.packs.is_dir():
        raise FleetError(f"{home.packs}: the packs folder is missing (run: kiosk fleet init)")
    dest = home.packs / pack.name
    try:
        size = atomic_copy(pack, dest, home.tmp, progress)
    except OSError as exc:
        raise FleetError(f"{dest}: cannot write: {exc}") from None
    removed = _prune(home.packs, keep, dest.name)
    at = time.time() if now is None else now
    scanned = False
    if client is not None:
        try:
            client.scan(PACKS_FOLDER)
            scanned = True
        except SyncthingError:
            pass  # Syncthing's file watcher sees the new file by itself
    state = home.read_state()
    published: list[dict[str, Any]] = list(state.get("published", []))
    published.append(
        {"name": dest.name, "version": manifest.version, "release": manifest.release_name,
         "bytes": size, "at": round(at, 3)}
    )  # fmt: skip
    state["published"] = published[-20:]
    home.write_state(state)
    if textfile is not None:
        textfile.parent.mkdir(parents=True, exist_ok=True)
        data = textfile_figures(manifest.version, at).encode("utf-8")
        atomic_write(textfile, data)
    return Published(dest, manifest.version, manifest.release_name, size, tuple(removed),
                     scanned, at)  # fmt: skip
