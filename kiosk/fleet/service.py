"""Syncthing as a headless service for a fleet node, and the kiosks Prometheus should watch.

:func:`render_unit` is the systemd unit that runs the node's Syncthing: as the node's user,
with the fleet home's ``syncthing/`` as its home, no browser, no self-upgrade, restarted by
systemd (not by Syncthing's own monitor), below the kiosk in CPU and disk priority. On a kiosk
the installer puts the copy in ``install/fleet/kiosk-fleet-syncthing.service`` (user ``kiosk``,
home ``/var/lib/kiosk/fleet``; a test keeps the two equal); on the curator's machine
``kiosk fleet init --service`` writes it for the curator's user (:func:`install_unit`).

:func:`prometheus_targets` turns the paired kiosks (their Syncthing addresses) into a
Prometheus ``file_sd`` list of their node_exporters, labelled with each kiosk's name.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from kiosk.fleet.layout import FleetError
from kiosk.fsutil import atomic_write

UNIT_NAME = "kiosk-fleet-syncthing.service"
UNIT_DIR = Path("/etc/systemd/system")
NODE_EXPORTER_PORT = 9100

_UNIT = """\
# Syncthing for the White Road fleet: packs out to the kiosks, statistics back, on the LAN only
# (its configuration: kiosk fleet init). See docs/fleet.md.
[Unit]
Description=Syncthing for the White Road fleet ({home})
Documentation=man:syncthing(1)
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=60
StartLimitBurst=4

[Service]
User={user}
Environment=STNODEFAULTFOLDER=1 STNOUPGRADE=1
ExecStart={binary} serve --home={home}/syncthing --no-browser --no-restart --no-upgrade --logflags=0
Restart=on-failure
RestartSec=5
SuccessExitStatus=3 4
RestartForceExitStatus=3 4
# The exhibit comes first: Syncthing gets the processor and the disk when the kiosk has had them.
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
ProtectSystem=full
ProtectHome=true
PrivateTmp=true
NoNewPrivileges=true
SystemCallArchitectures=native
MemoryDenyWriteExecute=true

[Install]
WantedBy=multi-user.target
"""


def render_unit(user: str, home: Path, binary: str = "/usr/bin/syncthing") -> str:
    """The systemd unit running the Syncthing of the fleet home ``home`` as ``user``."""
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", user):
        raise FleetError(f"{user!r} is not a user name")
    if not home.is_absolute() or re.search(r"\s", str(home)):
        raise FleetError(f"{home}: the fleet home must be an absolute path without spaces")
    return _UNIT.format(user=user, home=home, binary=binary)


def install_unit(text: str, unit_dir: Path = UNIT_DIR, start: bool = True) -> list[str]:
    """Write the unit (as root) and, where systemd runs, enable and start it. What was done."""
    path = unit_dir / UNIT_NAME
    done = []
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        done.append(f"= {path} (up to date)")
    else:
        try:
            atomic_write(path, text.encode("utf-8"))
        except OSError as exc:
            raise FleetError(f"{path}: cannot write ({exc}); run it with sudo") from None
        done.append(f"+ {path}")
    if not Path("/run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        done.append(f"systemd is not running here: later, systemctl enable --now {UNIT_NAME}")
        return done
    commands = [["systemctl", "daemon-reload"], ["systemctl", "enable", UNIT_NAME]]
    if start:
        commands.append(["systemctl", "restart", UNIT_NAME])
    for command in commands:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise FleetError(f"{' '.join(command)}: {out.stderr.strip()}")
        done.append("+ " + " ".join(command))
    return done


def prometheus_targets(config: dict[str, Any], me: str) -> list[dict[str, Any]]:
    """Prometheus ``file_sd`` targets: each paired device's node_exporter, by kiosk name."""
    out = []
    for device in sorted(config.get("devices", []), key=lambda d: str(d.get("name", ""))):
        if device.get("deviceID") == me:
            continue
        hosts = []
        for address in device.get("addresses") or []:
            m = re.match(r"^tcp[46]?://(\[[^\]]+\]|[^:/]+):\d+$", str(address))
            if m:
                hosts.append(f"{m[1]}:{NODE_EXPORTER_PORT}")
        if hosts:
            out.append({"targets": hosts[:1], "labels": {"kiosk": str(device.get("name", ""))}})
    return out


def write_targets(path: Path, targets: list[dict[str, Any]]) -> None:
    """Replace Prometheus' targets file atomically (Prometheus rereads it by itself)."""
    text = json.dumps(targets, indent=1) + "\n"
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise FleetError(f"{path}: cannot write ({exc}); run it with sudo") from None
