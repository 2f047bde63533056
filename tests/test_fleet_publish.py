"""Publishing to the fleet (atomic, pruned, rescanned, remembered) and ``kiosk fleet status``.

Syncthing's REST API is stood in for by small fakes; the real one is in tests/e2e/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.content.validate import validate
from kiosk.delivery.packs import PackError, make_pack
from kiosk.delivery.signing import SecretKey
from kiosk.fleet import status
from kiosk.fleet.layout import STATUS_NAME, FleetError, FleetHome
from kiosk.fleet.publish import publish, read_manifest
from kiosk.fleet.rest import SyncthingError
from testkit.fleet import tamper_signature

ME = "TOI62XT-WZTOO45-GSWNJEA-N3A7MDF-6ESCVKM-JETJD4H-H3QZWOQ-FDJXRAE"
K1 = "MIMCVJ3-YBSOPXY-6RIFVXD-WAA67B3-GDVHDGN-OHWOEQ7-Z24NDHB-CI5DCQM"
K2 = "K6PUF2N-QFXINE7-KZYMGEN-5AGOBBA-5HCXCYR-KPITHO6-OL32ZDH-GUJCKA6"
STRANGER = "CPWDHHX-YLWY7TF-OVIZP3V-5M2RS6B-77FVAGW-IRWAA4G-IIPQMJC-IVW7MAP"


class FakeCurator:
    """The curator's Syncthing as ``publish`` and ``status`` use it."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.scans: list[tuple[str, str | None]] = []

    def scan(self, folder: str, sub: str | None = None) -> None:
        if self.down:
            raise SyncthingError("Syncthing does not answer")
        self.scans.append((folder, sub))

    def config(self) -> dict[str, Any]:
        return {"devices": [{"deviceID": ME, "name": "curator"},
                            {"deviceID": K1, "name": "hall-1"},
                            {"deviceID": K2, "name": "hall-2"}]}  # fmt: skip

    def my_id(self) -> str:
        return ME

    def connections(self) -> dict[str, Any]:
        return {"connections": {K1: {"connected": True, "address": "10.0.0.11:22000"},
                                K2: {"connected": False, "address": ""}}}  # fmt: skip

    def device_stats(self) -> dict[str, Any]:
        return {K1: {"lastSeen": "2026-05-01T10:00:00Z"}, K2: {"lastSeen": "2026-05-01T09:00:00Z"}}

    def completion(self, folder: str, device: str) -> dict[str, Any]:
        return {"completion": 100 if device == K1 else 42.5}

    def pending_devices(self) -> dict[str, Any]:
        return {STRANGER: {"name": "someone", "address": "10.0.0.99:22000"}}


@pytest.fixture
def curator(tmp_path: Path) -> FleetHome:
    home = FleetHome(tmp_path / "fleet")
    home.packs.mkdir(parents=True)
    home.node_file.write_text(json.dumps({"role": "curator", "name": "curator", "device_id": ME}))
    return home


@pytest.fixture
def key() -> SecretKey:
    return SecretKey.generate()


@pytest.fixture
def pack_of(
    make_collection: Callable[..., Path], key: SecretKey, tmp_path: Path
) -> Callable[[int], Path]:
    src = make_collection()
    report = validate(src)

    def build(version: int) -> Path:
        out = tmp_path / "made" / f"white-road-{version}.wrpack"
        out.parent.mkdir(exist_ok=True)
        make_pack(src, out, report, key=key, version=version)
        return out

    return build


def test_a_pack_appears_in_the_folder_whole_or_not_at_all(
    curator: FleetHome, pack_of: Callable[[int], Path], tmp_path: Path
) -> None:
    pack = pack_of(1)
    client = FakeCurator()
    seen: list[set[str]] = []

    def progress(done: int) -> None:
        seen.append({p.name for p in curator.packs.iterdir()})

    textfile = tmp_path / "textfile" / "fleet.prom"
    done = publish(pack, curator, client, progress=progress, textfile=textfile, now=1234.0)  # type: ignore[arg-type]
    assert seen and all(names == set() for names in seen)  # nothing visible while copying
    assert (curator.packs / pack.name).read_bytes() == pack.read_bytes()
    assert done.version == 1 and done.scanned and client.scans == [("packs", None)]
    assert list(curator.tmp.iterdir()) == []
    (entry,) = curator.read_state()["published"]
    assert entry["release"] == done.release_name and entry["at"] == 1234.0
    figures = textfile.read_text()
    assert "kiosk_fleet_published_pack_version 1\n" in figures
    assert "kiosk_fleet_published_timestamp_seconds 1234\n" in figures


def test_old_packs_leave_the_folder(curator: FleetHome, pack_of: Callable[[int], Path]) -> None:
    for version in (3, 1, 4, 2):
        done = publish(pack_of(version), curator, FakeCurator(), keep=3)  # type: ignore[arg-type]
    assert done.removed == ("white-road-1.wrpack",)
    assert sorted(p.name for p in curator.packs.iterdir()) == [
        "white-road-2.wrpack",
        "white-road-3.wrpack",
        "white-road-4.wrpack",
    ]


def test_publishing_without_syncthing_still_publishes(
    curator: FleetHome, pack_of: Callable[[int], Path]
) -> None:
    done = publish(pack_of(1), curator, FakeCurator(down=True))  # type: ignore[arg-type]
    assert not done.scanned and done.path.is_file()  # its file watcher will notice


def test_what_cannot_be_published(
    curator: FleetHome, pack_of: Callable[[int], Path], key: SecretKey, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.wrpack"
    junk.write_bytes(b"not a tar file at all" * 100)
    with pytest.raises(PackError):
        publish(junk, curator, None)
    with pytest.raises(FleetError, match=r"ends in \.wrpack"):
        publish(tmp_path / "notes.txt", curator, None)
    bad = pack_of(2)
    tamper_signature(bad)
    with pytest.raises(PackError, match="signature"):
        publish(bad, curator, None, trusted=[key.public])  # checked when keys are given
    assert list(curator.packs.iterdir()) == []
    curator.node_file.write_text(json.dumps({"role": "kiosk", "name": "k", "device_id": K1}))
    with pytest.raises(FleetError, match="curator's machine"):
        publish(pack_of(1), curator, None)
    assert read_manifest(pack_of(3)).version == 3


def test_the_fleet_at_a_glance(curator: FleetHome, pack_of: Callable[[int], Path]) -> None:
    done = publish(pack_of(5), curator, FakeCurator())  # type: ignore[arg-type]
    report = {
        "kiosk": "hall-1",
        "release_shown": done.release_name,
        "release_installed": done.release_name,
        "version_installed": 5,
        "faults": [],
        "stats_exported_at": 1000.0,
        "written_at": 1000.0,
    }
    for name, changes in (
        ("hall-1", {}),
        ("hall-2", {"version_installed": 4, "release_shown": "4-abcdef12", "faults": [
            {"pack": "white-road-6.wrpack", "message": "refused: bad signature"}]}),
    ):  # fmt: skip
        curator.stats_dir(name).mkdir(parents=True)
        (curator.stats_dir(name) / STATUS_NAME).write_text(json.dumps({**report, **changes}))
    fleet = status.collect(curator, FakeCurator(), now=1600.0)  # type: ignore[arg-type]
    assert fleet.newest is not None and fleet.newest.version == 5
    one, two = fleet.kiosks
    assert (one.name, one.connected, one.pack_completion, one.newest_installed) == (
        "hall-1", True, 100.0, True)  # fmt: skip
    assert (two.name, two.connected, two.pack_completion, two.newest_installed) == (
        "hall-2", False, 42.5, False)  # fmt: skip
    assert two.faults == ["refused white-road-6.wrpack: refused: bad signature"]
    assert fleet.unknown_devices[0]["device_id"] == STRANGER
    table = status.render_table(fleet)
    assert "Newest pack: white-road-5.wrpack (version 5)" in table
    assert "hall-1" in table and "100%, installed" in table and "10 min ago" in table
    assert "42%, not installed" in table or "43%, not installed" in table
    assert "1: refused white-road-6.wrpack" in table
    assert f"Not paired, refused: device {STRANGER}" in table
    data = json.loads(json.dumps(status.as_json(fleet)))
    assert [k["name"] for k in data["kiosks"]] == ["hall-1", "hall-2"]
    assert data["kiosks"][1]["faults"]
