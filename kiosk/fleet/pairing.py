"""Setting a node up (``kiosk fleet init``) and pairing it with another (``kiosk fleet pair``).

:func:`init` makes this machine a fleet node: Syncthing's identity, its LAN-only configuration
(:mod:`kiosk.fleet.config`), the folders of its role and ``node.json``. Run again, it keeps the
identity and changes nothing. A kiosk can be given its curator at once (the installer's
``--curator``), so it is paired before its Syncthing first starts.

:func:`pair` adds one device to a running node through the REST API, on purpose: the
technician has read the other node's device ID on its screen (``kiosk fleet init`` prints it,
the admin panel shows it). On the curator's machine a kiosk gets the ``packs`` folder and its
own receive-only ``stats-<kiosk>`` folder; on a kiosk the curator gets ``packs`` and the kiosk's
send-only ``stats-<kiosk>``, and is marked *introducer*: the curator's list of kiosks sharing
``packs`` reaches every kiosk, so the kiosks pass packs on to one another (a mesh) without the
technician pairing each pair. No device is ever accepted because it asked.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.fleet.config import (
    FolderSpec,
    NodeSpec,
    Peer,
    check_address,
    check_device_id,
    configure,
    generate,
)
from kiosk.fleet.layout import (
    DEFAULT_PORT,
    PACKS_FOLDER,
    ROLE_CURATOR,
    ROLE_KIOSK,
    ROLES,
    FleetError,
    FleetHome,
    Node,
    check_name,
    stats_folder_id,
)
from kiosk.fleet.rest import SyncthingClient
from kiosk.fsutil import atomic_write

CURATOR_GUI = "127.0.0.1:8384"
MARKER = ".stfolder"


@dataclass(frozen=True)
class InitResult:
    """What :func:`init` found or made."""

    node: Node
    created: bool
    config_xml: Path


def _make_folder(path: Path) -> None:
    # Syncthing refuses to sync a folder whose marker is missing (a disk that did not mount must
    # not look like a folder whose files were all deleted); make both before it first starts.
    (path / MARKER).mkdir(parents=True, exist_ok=True)


def init(
    home: FleetHome,
    role: str,
    name: str,
    listen: tuple[str, ...],
    *,
    curator: Peer | None = None,
    gui_address: str | None = None,
    binary: str = "syncthing",
) -> InitResult:
    """Make this machine a fleet node (see the module's docstring); idempotent."""
    if role not in ROLES:
        raise FleetError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    check_name(name)
    for address in listen:
        check_address(address)
    if home.node_file.exists() and home.config_xml.exists():
        node = home.node()
        if (node.role, node.name) != (role, name):
            raise FleetError(
                f"{home.root} is already set up as {node.role} {node.name!r}; "
                "remove it first to make this machine something else"
            )
        return InitResult(node, False, home.config_xml)
    if role == ROLE_CURATOR and curator is not None:
        raise FleetError("the curator's machine pairs with kiosks, not with a curator")
    for path in (home.root, home.tmp):
        path.mkdir(parents=True, exist_ok=True)
    # On the curator's machine node_exporter (another user) reads the metrics folder.
    os.chmod(home.root, 0o755 if role == ROLE_CURATOR else 0o750)
    if role == ROLE_CURATOR:
        home.metrics_file.parent.mkdir(mode=0o755, exist_ok=True)
    device_id = generate(home.syncthing, binary)
    peers = (curator,) if curator is not None else ()
    shared = tuple(p.device_id for p in peers)
    folders: tuple[FolderSpec, ...]
    if role == ROLE_CURATOR:
        folders = (FolderSpec(PACKS_FOLDER, home.packs, "sendonly", label="Content packs"),)
        gui = gui_address or CURATOR_GUI
        low_priority = False
    else:
        folders = (
            FolderSpec(PACKS_FOLDER, home.packs, "receiveonly", shared, "Content packs"),
            FolderSpec(
                stats_folder_id(name),
                home.stats_dir(name),
                "sendonly",
                shared,
                f"Statistics of {name}",
            ),
        )
        gui = gui_address or str(home.syncthing / "gui.sock")
        low_priority = True
    for folder in folders:
        _make_folder(folder.path)
    spec = NodeSpec(device_id, name, listen, gui, peers=peers, folders=folders,
                    low_priority=low_priority)  # fmt: skip
    text = configure(home.config_xml.read_text(encoding="utf-8"), spec)
    atomic_write(home.config_xml, text.encode("utf-8"), 0o600, tmp_dir=home.tmp)
    node = Node(role, name, device_id)
    data = {"role": role, "name": name, "device_id": device_id}
    node_json = (json.dumps(data, indent=1) + "\n").encode("utf-8")
    atomic_write(home.node_file, node_json, tmp_dir=home.tmp)
    return InitResult(node, True, home.config_xml)


def default_listen(address: str) -> tuple[str, ...]:
    """``tcp://ADDRESS:22000`` for a bare IP address, else the address as given."""
    if "://" in address:
        return (check_address(address),)
    return (check_address(f"tcp://{address}:{DEFAULT_PORT}"),)


def _shared_with(folder: dict[str, Any], device_id: str) -> bool:
    return any(d.get("deviceID") == device_id for d in folder.get("devices") or [])


def _share(
    client: SyncthingClient,
    folder_id: str,
    device_id: str,
    *,
    create: tuple[Path, str, str] | None = None,
) -> str:
    """Share ``folder_id`` with ``device_id``, creating the folder from ``create`` (path, type,
    label) when this node has none. Returns what was done, in words."""
    folder = client.get_folder(folder_id)
    made = False
    if folder is None:
        if create is None:
            raise FleetError(f"this node has no folder {folder_id!r} (run: kiosk fleet init)")
        path, kind, label = create
        _make_folder(path)
        folder = client.default_folder()
        folder.update(
            {
                "id": folder_id,
                "label": label,
                "path": str(path),
                "type": kind,
                "ignorePerms": True,
                "fsWatcherEnabled": True,
                "fsWatcherDelayS": 1,
                "rescanIntervalS": 3600,
                "devices": [{"deviceID": client.my_id(), "introducedBy": ""}],
            }
        )
        made = True
    if _shared_with(folder, device_id) and not made:
        return f"= folder {folder_id} already shared"
    if not _shared_with(folder, device_id):
        devices = list(folder.get("devices") or [])
        devices.append({"deviceID": device_id, "introducedBy": "", "encryptionPassword": ""})
        folder["devices"] = devices
    client.put_folder(folder)
    return f"+ folder {folder_id} {'created and ' if made else ''}shared"


def pair(client: SyncthingClient, home: FleetHome, peer: Peer) -> list[str]:
    """Pair this running node with ``peer``; returns the changes made, in words."""
    node = home.node()
    device_id = check_device_id(peer.device_id)
    if device_id == node.device_id:
        raise FleetError("that is this machine's own device ID")
    check_name(peer.name)
    for address in peer.addresses:
        check_address(address)
    introducer = node.role == ROLE_KIOSK
    device = client.default_device()
    device.update(
        {
            "deviceID": device_id,
            "name": peer.name,
            "addresses": list(peer.addresses),
            "compression": "metadata",
            "introducer": introducer,
            "autoAcceptFolders": False,
            "paused": False,
        }
    )
    client.put_device(device)
    done = [f"+ device {peer.name} {device_id[:7]} at {', '.join(peer.addresses)}"]
    done.append(_share(client, PACKS_FOLDER, device_id))
    if node.role == ROLE_CURATOR:
        stats_id = stats_folder_id(peer.name)
        create = (home.stats_dir(peer.name), "receiveonly", f"Statistics of {peer.name}")
        done.append(_share(client, stats_id, device_id, create=create))
    else:
        done.append(_share(client, stats_folder_id(node.name), device_id))
    return done
