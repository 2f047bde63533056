"""The fleet's Syncthing configuration: LAN only, folders by role, devices paired on purpose.

The writer works on the XML Syncthing generated (what Debian's Syncthing 1.19 wrote is in
tests/data/syncthing-generated.xml), so these tests need no Syncthing; ``init`` runs the real
``syncthing generate`` when the program is installed (``make test`` installs it).
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kiosk.fleet.config import (
    LAN_ONLY_OPTIONS,
    FolderSpec,
    NodeSpec,
    Peer,
    check_address,
    check_device_id,
    configure,
    read_gui,
)
from kiosk.fleet.layout import FleetError, FleetHome, check_name
from kiosk.fleet.pairing import default_listen, init

ME = "TOI62XT-WZTOO45-GSWNJEA-N3A7MDF-6ESCVKM-JETJD4H-H3QZWOQ-FDJXRAE"
CURATOR = "MIMCVJ3-YBSOPXY-6RIFVXD-WAA67B3-GDVHDGN-OHWOEQ7-Z24NDHB-CI5DCQM"

# What Debian's Syncthing 1.19 writes with `syncthing generate` (trimmed; ids kept).
GENERATED = (Path(__file__).parent / "data" / "syncthing-generated.xml").read_text()


def _kiosk_spec(tmp_path: Path) -> NodeSpec:
    return NodeSpec(
        ME,
        "hall-2",
        ("tcp://10.77.0.12:22000",),
        str(tmp_path / "gui.sock"),
        api_key="k" * 32,
        peers=(Peer(CURATOR, "curator", ("tcp://10.77.0.1:22000",), introducer=True),),
        folders=(
            FolderSpec("packs", tmp_path / "packs", "receiveonly", (CURATOR,)),
            FolderSpec("stats-hall-2", tmp_path / "stats" / "hall-2", "sendonly", (CURATOR,)),
        ),
    )


def test_nothing_reaches_beyond_the_lan(tmp_path: Path) -> None:
    root = ET.fromstring(configure(GENERATED, _kiosk_spec(tmp_path)))
    options = root.find("options")
    assert options is not None
    for tag, value in LAN_ONLY_OPTIONS.items():
        assert options.findtext(tag) == value, tag
    for tag in ("globalAnnounceEnabled", "localAnnounceEnabled", "relaysEnabled", "natEnabled",
                "crashReportingEnabled", "startBrowser"):  # fmt: skip
        assert options.findtext(tag) == "false", tag
    assert options.findtext("urAccepted") == "-1"  # usage reporting declined
    assert options.findtext("autoUpgradeIntervalH") == "0"
    for tag in ("urURL", "releasesURL", "crashReportingURL"):
        assert not options.findtext(tag), tag
    assert [e.text for e in options.findall("listenAddress")] == ["tcp://10.77.0.12:22000"]
    # Every device is reached at a static address, never through discovery.
    peers = [d for d in root.findall("device") if d.get("id") != ME]
    assert [a.text for d in peers for a in d.findall("address")] == ["tcp://10.77.0.1:22000"]
    # The REST API listens on a socket only this user may use, never on the network.
    gui = root.find("gui")
    assert gui is not None and gui.get("tls") == "false"
    assert gui.findtext("address") == str(tmp_path / "gui.sock")
    assert gui.findtext("unixSocketPermissions") == "0600"
    assert gui.findtext("apikey") == "k" * 32


def test_folders_by_role_and_devices_paired_on_purpose(tmp_path: Path) -> None:
    root = ET.fromstring(configure(GENERATED, _kiosk_spec(tmp_path)))
    assert root.get("version") == "36"  # the installed Syncthing's schema is kept
    folders = {f.get("id"): f for f in root.findall("folder")}
    assert folders["packs"].get("type") == "receiveonly"
    assert folders["stats-hall-2"].get("type") == "sendonly"
    assert folders["packs"].get("path") == str(tmp_path / "packs")
    for folder in folders.values():
        assert {d.get("id") for d in folder.findall("device")} == {ME, CURATOR}
        assert folder.get("ignorePerms") == "true"
        assert folder.findtext("markerName") == ".stfolder"  # the defaults are kept
    devices = {d.get("id"): d for d in root.findall("device")}
    assert set(devices) == {ME, CURATOR}
    assert devices[CURATOR].get("introducer") == "true"
    assert devices[CURATOR].get("name") == "curator"
    for device in devices.values():
        assert device.findtext("autoAcceptFolders") == "false"
    # The template stays a template: no device or folder was added inside <defaults>.
    defaults = root.find("defaults")
    assert defaults is not None and defaults.find("folder") is not None
    assert defaults.find("folder").get("id") == ""  # type: ignore[union-attr]


def test_configuring_twice_gives_the_same_file(tmp_path: Path) -> None:
    spec = _kiosk_spec(tmp_path)
    once = configure(GENERATED, spec)
    assert configure(once, spec) == once


def test_the_rest_api_address_and_key_are_read_back(tmp_path: Path) -> None:
    path = tmp_path / "config.xml"
    path.write_text(configure(GENERATED, _kiosk_spec(tmp_path)))
    gui = read_gui(path)
    assert gui.address == str(tmp_path / "gui.sock") and gui.api_key == "k" * 32
    path.write_text(GENERATED.replace('tls="false"', 'tls="true"'))
    with pytest.raises(FleetError, match="TLS"):
        read_gui(path)
    path.write_text("<configuration")
    with pytest.raises(FleetError, match="cannot read"):
        read_gui(path)


def test_identities_names_and_addresses_are_checked() -> None:
    assert check_device_id(ME.lower()) == ME
    for bad in ("", "ABC", ME[:-1], ME.replace("-", ""), ME + "-AAAAAAA"):
        with pytest.raises(FleetError, match="not a Syncthing device ID"):
            check_device_id(bad)
    assert check_address("tcp://192.168.1.20:22000")
    for bad in ("dynamic", "192.168.1.20", "http://x:1", "tcp://host"):
        with pytest.raises(FleetError):
            check_address(bad)
    assert default_listen("10.0.0.5") == ("tcp://10.0.0.5:22000",)
    assert check_name("hall-2") == "hall-2"
    for bad in ("", "Hall", "a b", "../x", "x" * 49):
        with pytest.raises(FleetError):
            check_name(bad)


needs_syncthing = pytest.mark.skipif(
    shutil.which("syncthing") is None,
    reason="syncthing is not installed (Debian package: syncthing)",
)


@needs_syncthing
def test_init_makes_a_kiosk_and_keeps_it(tmp_path: Path) -> None:
    home = FleetHome(tmp_path / "fleet")
    curator = Peer(CURATOR, "curator", ("tcp://10.0.0.1:22000",), introducer=True)
    done = init(home, "kiosk", "hall-2", default_listen("10.0.0.12"), curator=curator)
    assert done.created
    node = json.loads(home.node_file.read_text())
    assert node == {"role": "kiosk", "name": "hall-2", "device_id": done.node.device_id}
    assert (home.syncthing / "cert.pem").is_file() and (home.syncthing / "key.pem").is_file()
    assert (home.config_xml.stat().st_mode & 0o777) == 0o600  # it holds the API key
    root = ET.fromstring(home.config_xml.read_text())
    assert {f.get("id"): f.get("type") for f in root.findall("folder")} == {
        "packs": "receiveonly",
        "stats-hall-2": "sendonly",
    }
    assert (home.packs / ".stfolder").is_dir() and (home.stats_dir("hall-2") / ".stfolder").is_dir()
    assert read_gui(home.config_xml).address == str(home.syncthing / "gui.sock")
    before = home.config_xml.read_bytes()
    again = init(home, "kiosk", "hall-2", default_listen("10.0.0.12"), curator=curator)
    assert not again.created and again.node == done.node
    assert home.config_xml.read_bytes() == before  # identity and settings kept
    with pytest.raises(FleetError, match="already set up as kiosk"):
        init(home, "curator", "curator", default_listen("10.0.0.12"))


@needs_syncthing
def test_init_makes_a_curator(tmp_path: Path) -> None:
    home = FleetHome(tmp_path / "fleet")
    init(home, "curator", "curator", default_listen("10.0.0.1"))
    root = ET.fromstring(home.config_xml.read_text())
    assert [(f.get("id"), f.get("type")) for f in root.findall("folder")] == [("packs", "sendonly")]
    assert read_gui(home.config_xml).address == "127.0.0.1:8384"
    with pytest.raises(FleetError, match="not with a curator"):
        init(FleetHome(tmp_path / "other"), "curator", "c2", default_listen("10.0.0.2"),
             curator=Peer(CURATOR, "curator", ("tcp://10.0.0.1:22000",)))  # fmt: skip
