"""A kiosk's fleet figures for its health file (Prometheus text format, node_exporter textfile).

:func:`figures` reads the fleet home's memory and the releases folder; :func:`render` turns the
figures into lines to append to the health file that :mod:`kiosk.ops.health` writes:

``kiosk_fleet_pack_version``
    version of the installed release (0: none), compared by the alert rules with
    ``kiosk_fleet_published_pack_version`` from the curator's machine;
``kiosk_fleet_stats_export_age_seconds``
    seconds since the statistics snapshot was last exported or found current (absent before the
    first export);
``kiosk_fleet_packs_installed_total``, ``kiosk_fleet_packs_refused_total``
    packs installed from, and refused in, the ``packs`` folder (a rise in refusals is a fault);
``kiosk_fleet_packs_arriving``
    packs Syncthing is still bringing in (0 when the folder is complete).

Everything is read from files; nothing here talks to Syncthing, so the health file is written
even when Syncthing is down (its absence shows on the curator's side).
"""

from __future__ import annotations

from pathlib import Path

from kiosk.delivery.releases import current_release
from kiosk.fleet.layout import FleetHome

_HELP = {
    "kiosk_fleet_pack_version": ("gauge", "Version of the installed content release (0: none)."),
    "kiosk_fleet_stats_export_age_seconds": (
        "gauge",
        "Seconds since the statistics snapshot was last exported or found current.",
    ),
    "kiosk_fleet_packs_installed_total": ("counter", "Packs installed from the fleet folder."),
    "kiosk_fleet_packs_refused_total": ("counter", "Packs refused (bad signature, damaged...)."),
    "kiosk_fleet_packs_arriving": ("gauge", "Packs Syncthing is still bringing in."),
}


def figures(home: FleetHome, root: Path, now: float) -> dict[str, float]:
    """The kiosk's fleet figures now; see the module's docstring."""
    state = home.read_state()
    current = current_release(root)
    out: dict[str, float] = {
        "kiosk_fleet_pack_version": float(current.version if current else 0),
        "kiosk_fleet_packs_installed_total": float(state.get("installed_total", 0)),
        "kiosk_fleet_packs_refused_total": float(state.get("refused_total", 0)),
        "kiosk_fleet_packs_arriving": float(state.get("arriving", 0)),
    }
    exported = state.get("stats", {}).get("exported_at")
    if exported is not None:
        out["kiosk_fleet_stats_export_age_seconds"] = max(0.0, now - float(exported))
    return out


def render(values: dict[str, float]) -> list[str]:
    """Prometheus text lines (HELP, TYPE, sample) for :func:`figures`' values."""
    lines: list[str] = []
    for name, value in values.items():
        kind, text = _HELP.get(name, ("gauge", name))
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {value:.15g}"]
    return lines
