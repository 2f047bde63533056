"""Syncthing's configuration for a fleet node: LAN only, folders by role, devices paired on purpose.

:func:`generate` lets Syncthing make the node's identity (certificate and key) and a default
``config.xml``; :func:`configure` then rewrites that file's XML so that the node:

- talks only to the devices it was given, at their static addresses: no global or local
  discovery, no relays, no NAT traversal (UPnP, STUN), no usage or crash reporting, no automatic
  upgrades, never opens a browser;
- serves its REST API on a Unix socket (kiosk) or on 127.0.0.1 (the curator's machine), with an
  API key: never on the network;
- has the folders of its role (:mod:`kiosk.fleet.layout`): on the curator's machine ``packs`` is
  send-only and each kiosk's ``stats-<kiosk>`` receive-only; on a kiosk the reverse;
- accepts no folder a device offers by itself (``autoAcceptFolders`` off); an unknown device that
  connects is refused and only listed as pending.

The file Syncthing generated is the starting point, so the defaults and the schema version of
the installed Syncthing are kept; only what is named here changes. Pairing a node that runs goes
through its REST API instead (:mod:`kiosk.fleet.pairing`): Syncthing owns its file while it runs.
"""

from __future__ import annotations

import copy
import re
import secrets
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.fleet.layout import FleetError

DEVICE_ID_RE = re.compile(r"^[A-Z2-7]{7}(?:-[A-Z2-7]{7}){7}$")

# Every option that would make Syncthing reach beyond the devices it was given, switched off.
LAN_ONLY_OPTIONS: dict[str, str] = {
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",
    "relaysEnabled": "false",
    "natEnabled": "false",
    "urAccepted": "-1",  # usage reporting declined, so it never asks again
    "urSeen": "3",
    "crashReportingEnabled": "false",
    "autoUpgradeIntervalH": "0",
    "startBrowser": "false",
    "announceLANAddresses": "false",
    "stunKeepaliveStartS": "0",  # no STUN even if NAT traversal were switched on
    # A LAN peer that was away is tried again soon, not after the default minute.
    "reconnectionIntervalS": "10",
}
# Fields that name a server on the internet: emptied, so nothing can use them by mistake.
_EMPTIED_OPTIONS = ("urURL", "releasesURL", "crashReportingURL")


@dataclass(frozen=True)
class Peer:
    """A device this node shares folders with, paired on purpose."""

    device_id: str
    name: str
    addresses: tuple[str, ...]
    introducer: bool = False


@dataclass(frozen=True)
class FolderSpec:
    """One synchronised folder of this node."""

    id: str
    path: Path
    type: str  # "sendonly" or "receiveonly"
    devices: tuple[str, ...] = ()  # peers' device IDs; this node is added by configure()
    label: str = ""
    rescan_s: int = 3600
    watch: bool = True  # react to changes at once (inotify) rather than at the next rescan


@dataclass(frozen=True)
class NodeSpec:
    """Everything :func:`configure` sets."""

    device_id: str
    name: str
    listen: tuple[str, ...]
    gui_address: str
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    peers: tuple[Peer, ...] = ()
    folders: tuple[FolderSpec, ...] = ()
    low_priority: bool = True  # a kiosk's screen comes first


def check_device_id(value: str) -> str:
    """A device ID in Syncthing's form (upper case, dashes), or FleetError."""
    text = value.strip().upper()
    if not DEVICE_ID_RE.match(text):
        raise FleetError(
            f"{value!r} is not a Syncthing device ID (eight groups of seven letters and digits, "
            "like ABCDEFG-...; `kiosk fleet init` prints it)"
        )
    return text


def check_address(value: str) -> str:
    """A static peer address ``tcp://HOST:PORT``; 'dynamic' would need discovery, which is off."""
    if not re.match(r"^tcp[46]?://[^/\s]+:\d{1,5}$", value):
        raise FleetError(f"{value!r} is not an address like tcp://192.168.1.20:22000")
    return value


def generate(syncthing_dir: Path, binary: str = "syncthing") -> str:
    """Let Syncthing create this node's key, certificate and default configuration; its device ID.

    Nothing is contacted: ``generate`` only writes files. An existing identity is kept.
    """
    syncthing_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        out = subprocess.run(
            [binary, "generate", f"--home={syncthing_dir}", "--no-default-folder"],
            capture_output=True,
            text=True,
            timeout=120,
            env={"STNODEFAULTFOLDER": "1", "PATH": "/usr/bin:/bin", "HOME": str(syncthing_dir)},
        )
    except FileNotFoundError:
        raise FleetError(
            f"{binary}: not installed (Debian package: syncthing; install/install.sh --fleet "
            "installs it)"
        ) from None
    m = re.search(r"Device ID:\s*([A-Z2-7-]{63})", out.stdout + out.stderr)
    if out.returncode != 0 or m is None:
        raise FleetError(f"syncthing generate failed: {(out.stderr or out.stdout).strip()}")
    return m[1]


def _set_text(parent: ET.Element, tag: str, value: str) -> None:
    el = parent.find(tag)
    if el is None:
        el = ET.SubElement(parent, tag)
    el.text = value


def _device_element(template: ET.Element | None, peer: Peer) -> ET.Element:
    el = copy.deepcopy(template) if template is not None else ET.Element("device")
    el.attrib.update(
        {
            "id": peer.device_id,
            "name": peer.name,
            "compression": "metadata",
            "introducer": "true" if peer.introducer else "false",
            "skipIntroductionRemovals": "false",
            "introducedBy": "",
        }
    )
    olds = el.findall("address")
    at = list(el).index(olds[0]) if olds else 0
    for old in olds:
        el.remove(old)
    for i, address in enumerate(peer.addresses):
        new = ET.Element("address")
        new.text = address
        el.insert(at + i, new)
    _set_text(el, "autoAcceptFolders", "false")
    _set_text(el, "paused", "false")
    _set_text(el, "untrusted", "false")
    return el


def _folder_element(template: ET.Element | None, spec: FolderSpec, me: str) -> ET.Element:
    el = copy.deepcopy(template) if template is not None else ET.Element("folder")
    el.attrib.update(
        {
            "id": spec.id,
            "label": spec.label or spec.id,
            "path": str(spec.path),
            "type": spec.type,
            "rescanIntervalS": str(spec.rescan_s),
            "fsWatcherEnabled": "true" if spec.watch else "false",
            "fsWatcherDelayS": "1",
            # Packs and snapshots carry no meaning in their permissions; kiosks differ in users.
            "ignorePerms": "true",
            "autoNormalize": "true",
        }
    )
    for old in el.findall("device"):
        el.remove(old)
    for i, device_id in enumerate((me, *spec.devices)):
        dev = ET.Element("device", {"id": device_id, "introducedBy": ""})
        ET.SubElement(dev, "encryptionPassword").text = ""
        el.insert(i, dev)
    _set_text(el, "paused", "false")
    # Nothing is versioned or kept aside: a kiosk keeps its releases elsewhere.
    _set_text(el, "maxConflicts", "0" if spec.type == "receiveonly" else "10")
    return el


def configure(xml_text: str, node: NodeSpec) -> str:
    """The configuration ``xml_text`` (as Syncthing wrote it) set up for ``node``; see above."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise FleetError(f"Syncthing's config.xml cannot be read: {exc}") from None
    if root.tag != "configuration":
        raise FleetError("Syncthing's config.xml has no <configuration>")
    defaults = root.find("defaults")
    device_template = defaults.find("device") if defaults is not None else None
    folder_template = defaults.find("folder") if defaults is not None else None
    own_template = next(
        (d for d in root.findall("device") if d.get("id") == node.device_id), device_template
    )
    for old in root.findall("device") + root.findall("folder"):
        root.remove(old)
    elements = [_device_element(own_template, Peer(node.device_id, node.name, ("dynamic",)))]
    elements += [_device_element(device_template, p) for p in node.peers]
    elements += [_folder_element(folder_template, f, node.device_id) for f in node.folders]
    for i, el in enumerate(elements):
        root.insert(i, el)

    gui = root.find("gui")
    if gui is None:
        gui = ET.SubElement(root, "gui")
    gui.attrib.update({"enabled": "true", "tls": "false", "debugging": "false"})
    _set_text(gui, "address", node.gui_address)
    _set_text(gui, "apikey", node.api_key)
    if node.gui_address.startswith("/"):
        # Only the kiosk's own user may use the socket.
        _set_text(gui, "unixSocketPermissions", "0600")

    options = root.find("options")
    if options is None:
        options = ET.SubElement(root, "options")
    for old in options.findall("listenAddress"):
        options.remove(old)
    for i, address in enumerate(node.listen):
        el = ET.Element("listenAddress")
        el.text = address
        options.insert(i, el)
    for tag, value in LAN_ONLY_OPTIONS.items():
        _set_text(options, tag, value)
    for tag in _EMPTIED_OPTIONS:
        _set_text(options, tag, "")
    _set_text(options, "setLowPriority", "true" if node.low_priority else "false")
    ET.indent(root, space="    ")
    return ET.tostring(root, encoding="unicode") + "\n"


@dataclass(frozen=True)
class GuiAccess:
    """Where a node's REST API listens and its key, as its config.xml says."""

    address: str
    api_key: str


def read_gui(config_xml: Path) -> GuiAccess:
    """The REST API's address and key from a node's config.xml (read only)."""
    try:
        root = ET.fromstring(config_xml.read_text(encoding="utf-8"))
    except (OSError, ET.ParseError) as exc:
        raise FleetError(f"{config_xml}: cannot read Syncthing's configuration: {exc}") from None
    gui = root.find("gui")
    address = gui.findtext("address", "") if gui is not None else ""
    key = gui.findtext("apikey", "") if gui is not None else ""
    if not address or not key:
        raise FleetError(f"{config_xml}: no GUI address or API key (run: kiosk fleet init)")
    if gui is not None and gui.get("tls") == "true":
        raise FleetError(f"{config_xml}: the REST API uses TLS; fleet nodes use it on localhost")
    return GuiAccess(address, key)


def device_ids(config_xml: Path) -> list[str]:
    """The device IDs configured in a node's config.xml, its own first."""
    root = ET.fromstring(config_xml.read_text(encoding="utf-8"))
    return [d.get("id", "") for d in root.findall("device")]


def folder_ids(xml_text: str) -> Sequence[tuple[str, str, str]]:
    """(id, type, path) of every folder in a configuration."""
    root = ET.fromstring(xml_text)
    return [(f.get("id", ""), f.get("type", ""), f.get("path", "")) for f in root.findall("folder")]
