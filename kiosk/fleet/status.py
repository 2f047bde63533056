"""``kiosk fleet status`` on the curator's machine: every kiosk at a glance.

For each paired kiosk, from the curator's Syncthing (REST API) and the kiosk's own report
(``status.json`` in its statistics folder, see :mod:`kiosk.fleet.agent`):

- when it was last seen (connected now, or Syncthing's last-seen time);
- the release it shows and the one installed;
- how far the newest published pack has travelled to it (Syncthing's completion of the
  ``packs`` folder for that device) and whether it is installed;
- when it last exported its statistics;
- its faults: packs it refused, an export that failed, a report that is missing.

Devices that tried to connect without being paired are listed too: they are never accepted,
but a technician may have forgotten one. :func:`collect` gathers, :func:`render_table` and
:func:`as_json` format (a person reads the one, a program the other).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any

from tabulate import tabulate

from kiosk.delivery.packs import PackError
from kiosk.fleet.layout import PACKS_FOLDER, SNAPSHOT_NAME, STATUS_NAME, FleetHome
from kiosk.fleet.mesh import pack_names, parse_time
from kiosk.fleet.publish import read_manifest
from kiosk.fleet.rest import SyncthingClient, SyncthingError


@dataclass(frozen=True)
class NewestPack:
    """The newest pack in the curator's ``packs`` folder."""

    name: str
    version: int
    release: str
    published_at: float | None


@dataclass(frozen=True)
class KioskStatus:
    """One kiosk as the curator's machine sees it."""

    name: str
    device_id: str
    connected: bool
    address: str
    last_seen: float | None
    release_shown: str
    release_installed: str
    version_installed: int
    pack_completion: float | None  # percent of the packs folder the kiosk has
    newest_installed: bool
    stats_exported_at: float | None
    report_at: float | None
    faults: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FleetStatus:
    """The whole fleet."""

    at: float
    newest: NewestPack | None
    kiosks: list[KioskStatus]
    unknown_devices: list[dict[str, Any]]


def newest_pack(home: FleetHome) -> NewestPack | None:
    """The newest pack (by manifest version) in the curator's folder."""
    best = None
    for name in pack_names(home.packs):
        try:
            manifest = read_manifest(home.packs / name)
        except PackError:
            continue
        if best is None or manifest.version > best[0].version:
            best = (manifest, name)
    if best is None:
        return None
    manifest, name = best
    published = [
        p
        for p in home.read_state().get("published", [])
        if p.get("release") == manifest.release_name
    ]
    at = float(published[-1]["at"]) if published else None
    return NewestPack(name, manifest.version, manifest.release_name, at)


def _report(home: FleetHome, kiosk: str) -> dict[str, Any] | None:
    try:
        data = json.loads((home.stats_dir(kiosk) / STATUS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _kiosk(
    home: FleetHome,
    client: SyncthingClient,
    device: dict[str, Any],
    connections: dict[str, Any],
    seen: dict[str, Any],
    newest: NewestPack | None,
) -> KioskStatus:
    device_id = str(device["deviceID"])
    name = str(device.get("name") or device_id[:7])
    conn = connections.get(device_id, {})
    faults: list[str] = []
    completion = None
    try:
        completion = float(client.completion(PACKS_FOLDER, device_id)["completion"])
    except (SyncthingError, KeyError, TypeError, ValueError) as exc:
        faults.append(f"completion unknown: {exc}")
    last_seen = parse_time(str((seen.get(device_id) or {}).get("lastSeen", "")))
    if last_seen is not None and last_seen <= 0:
        last_seen = None
    report = _report(home, name) or {}
    if not report:
        faults.append("no status report from this kiosk yet")
    faults += [f"refused {f.get('pack')}: {f.get('message')}" for f in report.get("faults", [])]
    if report.get("stats_error"):
        faults.append(f"statistics export: {report['stats_error']}")
    exported = report.get("stats_exported_at")
    if exported is None:
        snapshot = home.stats_dir(name) / SNAPSHOT_NAME
        exported = snapshot.stat().st_mtime if snapshot.is_file() else None
    installed = int(report.get("version_installed") or 0)
    return KioskStatus(
        name=name,
        device_id=device_id,
        connected=bool(conn.get("connected")),
        address=str(conn.get("address") or ""),
        last_seen=last_seen,
        release_shown=str(report.get("release_shown") or ""),
        release_installed=str(report.get("release_installed") or ""),
        version_installed=installed,
        pack_completion=completion,
        newest_installed=newest is not None and installed >= newest.version,
        stats_exported_at=float(exported) if exported is not None else None,
        report_at=report.get("written_at"),
        faults=faults,
    )


def collect(home: FleetHome, client: SyncthingClient, now: float | None = None) -> FleetStatus:
    """The fleet's status now. Raises SyncthingError when Syncthing does not answer."""
    config = client.config()
    me = client.my_id()
    connections = client.connections().get("connections", {})
    seen = client.device_stats()
    newest = newest_pack(home)
    kiosks = [
        _kiosk(home, client, d, connections, seen, newest)
        for d in sorted(config.get("devices", []), key=lambda d: str(d.get("name", "")))
        if d.get("deviceID") != me
    ]
    unknown = [
        {"device_id": k, "name": v.get("name", ""), "address": v.get("address", "")}
        for k, v in sorted(client.pending_devices().items())
    ]
    return FleetStatus(time.time() if now is None else now, newest, kiosks, unknown)


def as_json(status: FleetStatus) -> dict[str, Any]:
    """The status as plain data (``kiosk fleet status --json``)."""
    return dataclasses.asdict(status)


def _ago(at: float | None, now: float) -> str:
    if at is None:
        return "never"
    s = max(0.0, now - at)
    if s < 90:
        return f"{s:.0f} s ago"
    if s < 5400:
        return f"{s / 60:.0f} min ago"
    if s < 172800:
        return f"{s / 3600:.0f} h ago"
    return f"{s / 86400:.0f} days ago"


def render_table(status: FleetStatus) -> str:
    """The status as a table for a person."""
    now = status.at
    newest = status.newest
    lines = []
    if newest is None:
        lines.append("Newest pack: none published yet")
    else:
        when = _ago(newest.published_at, now) if newest.published_at else "time unknown"
        lines.append(f"Newest pack: {newest.name} (version {newest.version}), published {when}")
    rows = []
    for k in status.kiosks:
        travelled = "?" if k.pack_completion is None else f"{k.pack_completion:.0f}%"
        if newest is not None:
            travelled += ", installed" if k.newest_installed else ", not installed"
        faults = "-" if not k.faults else f"{len(k.faults)}: {k.faults[0][:60]}"
        rows.append(
            [
                k.name,
                "connected" if k.connected else _ago(k.last_seen, now),
                k.release_shown or k.release_installed or "-",
                travelled,
                _ago(k.stats_exported_at, now),
                faults,
            ]
        )
    headers = ["KIOSK", "SEEN", "SHOWS", "NEWEST PACK", "STATISTICS", "FAULTS"]
    if rows:
        lines.append(tabulate(rows, headers=headers, tablefmt="simple"))
    else:
        lines.append("No kiosks paired yet (pair one with: kiosk fleet pair).")
    for d in status.unknown_devices:
        lines.append(
            f"Not paired, refused: device {d['device_id']} ({d['name'] or 'no name'}) at "
            f"{d['address']}; pair it on purpose with: kiosk fleet pair"
        )
    return "\n".join(lines)
