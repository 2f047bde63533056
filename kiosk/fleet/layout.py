"""Where a fleet node keeps its things, what it is, and how files are put into synced folders.

A node's fleet home (``/var/lib/kiosk/fleet`` on a kiosk the installer set up)::

    node.json            role ("curator" or "kiosk") and name, written by ``kiosk fleet init``
    syncthing/           Syncthing's own: config.xml, key, certificate, index (Syncthing owns it)
    packs/               folder "packs": send-only on the curator's machine, receive-only on kiosks
    stats/<kiosk>/       folder "stats-<kiosk>": send-only on that kiosk, receive-only on the
                         curator's machine; holds analytics.sqlite (a snapshot) and status.json
    state.json           this node's own memory (packs tried, published, last export)
    metrics/             the curator's figures for Prometheus (the last pack published)
    .tmp/                files being written, renamed into a synced folder once complete
    .inbox/              a kiosk's private copy of a pack while it is being installed

Files are written with the kiosk's one atomic write (:mod:`kiosk.fsutil`), their temporary files
in ``.tmp``: outside every synced folder but on the same file system, so Syncthing never sees (or
sends) a half-written file and the final rename is atomic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.fsutil import atomic_stream, atomic_write

ROLE_CURATOR = "curator"
ROLE_KIOSK = "kiosk"
ROLES = (ROLE_CURATOR, ROLE_KIOSK)
PACKS_FOLDER = "packs"
SNAPSHOT_NAME = "analytics.sqlite"
STATUS_NAME = "status.json"
DEFAULT_HOME = Path("/var/lib/kiosk/fleet")
DEFAULT_PORT = 22000
_CHUNK = 1 << 20


class FleetError(Exception):
    """A fleet operation cannot be done; one line for the technician or curator."""


def check_name(name: str) -> str:
    """A node's name as used in folder IDs (``stats-<name>``): short, lower case, plain."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,47}", name):
        raise FleetError(
            f"{name!r} cannot name a fleet node: use lower-case letters, digits, '-' or '_' "
            "(at most 48), e.g. hall-2"
        )
    return name


def stats_folder_id(kiosk: str) -> str:
    """The Syncthing folder ID of a kiosk's statistics folder."""
    return f"stats-{kiosk}"


@dataclass(frozen=True)
class Node:
    """What ``kiosk fleet init`` made this machine."""

    role: str
    name: str
    device_id: str


@dataclass(frozen=True)
class FleetHome:
    """The paths of one node's fleet home; see the module's docstring."""

    root: Path

    @property
    def syncthing(self) -> Path:
        return self.root / "syncthing"

    @property
    def config_xml(self) -> Path:
        return self.syncthing / "config.xml"

    @property
    def packs(self) -> Path:
        return self.root / "packs"

    @property
    def stats_root(self) -> Path:
        return self.root / "stats"

    def stats_dir(self, kiosk: str) -> Path:
        return self.stats_root / check_name(kiosk)

    @property
    def tmp(self) -> Path:
        return self.root / ".tmp"

    @property
    def inbox(self) -> Path:
        return self.root / ".inbox"

    @property
    def metrics_file(self) -> Path:
        """The curator's figures for Prometheus (node_exporter's textfile collector)."""
        return self.root / "metrics" / "kiosk-fleet.prom"

    @property
    def node_file(self) -> Path:
        return self.root / "node.json"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def node(self) -> Node:
        """This node's role and name; FleetError before ``kiosk fleet init``."""
        try:
            data = json.loads(self.node_file.read_text(encoding="utf-8"))
            return Node(str(data["role"]), str(data["name"]), str(data["device_id"]))
        except FileNotFoundError:
            raise FleetError(
                f"{self.root} is not set up for the fleet (run: kiosk fleet init)"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FleetError(f"{self.node_file}: cannot be read: {exc}") from None

    def read_state(self) -> dict[str, Any]:
        """This node's memory (an empty one when missing or unreadable)."""
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_state(self, state: dict[str, Any]) -> None:
        text = json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True)
        atomic_write(self.state_file, text.encode("utf-8"), tmp_dir=self.tmp)


def atomic_copy(
    src: Path,
    dest: Path,
    tmp_dir: Path | None,
    progress: Callable[[int], None] | None = None,
    mode: int = 0o644,
) -> int:
    """Copy ``src`` to ``dest`` with the kiosk's one atomic write (:mod:`kiosk.fsutil`), the
    temporary file in ``tmp_dir`` (None: beside ``dest``); calls ``progress(bytes)`` after each
    chunk. Returns the number of bytes copied."""
    copied = 0
    with Path(src).open("rb") as fin, atomic_stream(dest, mode, tmp_dir=tmp_dir) as fout:
        while chunk := fin.read(_CHUNK):
            fout.write(chunk)
            copied += len(chunk)
            if progress is not None:
                progress(copied)
    return copied
