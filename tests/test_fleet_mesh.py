"""A kiosk's side of the packs folder: the completeness rule, and installing only what is whole,
verified and newest, without ever changing the synced folder.

Syncthing is stood in for by :class:`FakeSyncthing`, which answers ``/rest/db/file`` as
Syncthing does (a local and a global record per file); the real one is in tests/e2e/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.content.validate import validate
from kiosk.delivery import releases
from kiosk.delivery.packs import make_pack
from kiosk.delivery.signing import SecretKey
from kiosk.fleet import health, mesh
from kiosk.fleet.agent import FleetKiosk
from kiosk.fleet.layout import SNAPSHOT_NAME, STATUS_NAME, FleetHome
from kiosk.fleet.mesh import REFUSED, SKIPPED, WAITING, MeshInstaller, judge
from testkit.fleet import count_events, tamper_signature, write_events

ME = "TOI62XT-WZTOO45-GSWNJEA-N3A7MDF-6ESCVKM-JETJD4H-H3QZWOQ-FDJXRAE"


def _rfc3339(ns: int) -> str:
    """A modification time as Syncthing writes it (nanoseconds, UTC)."""
    whole = dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{ns % 1_000_000_000:09d}Z"


class FakeSyncthing:
    """Answers ``db_file`` from records set by the test."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, Any]] = {}
        self.calls = 0

    def db_file(self, folder: str, name: str) -> dict[str, Any] | None:
        self.calls += 1
        return self.files.get(name)

    def record(self, path: Path, version: str = "CURATOR:1", local: str | None = None) -> None:
        """Record ``path`` as Syncthing would once it has it (``local``: an older version)."""
        st = path.stat()
        info = {"name": path.name, "version": [version], "size": st.st_size,
                "modified": _rfc3339(st.st_mtime_ns), "deleted": False, "invalid": False,
                "ignored": False, "localFlags": 0}  # fmt: skip
        self.files[path.name] = {"global": info, "local": dict(info, version=[local or version])}


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


@pytest.fixture
def home(tmp_path: Path) -> FleetHome:
    home = FleetHome(tmp_path / "fleet")
    home.packs.mkdir(parents=True)
    home.stats_dir("hall-2").mkdir(parents=True)
    home.node_file.write_text(json.dumps({"role": "kiosk", "name": "hall-2", "device_id": ME}))
    return home


def arrive(home: FleetHome, pack: Path, st: FakeSyncthing, version: str = "CURATOR:1") -> Path:
    """Put ``pack`` in the kiosk's folder as Syncthing does (renamed in whole) and record it."""
    dest = home.packs / pack.name
    tmp = home.packs / mesh.temporary_names(pack.name)[0]
    tmp.write_bytes(pack.read_bytes())
    os.replace(tmp, dest)
    st.record(dest, version)
    return dest


def folder_state(folder: Path) -> dict[str, tuple[int, int, str]]:
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in folder.iterdir()
    }


# --- the completeness rule ------------------------------------------------------------------


def test_a_pack_is_complete_only_when_syncthing_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    path = folder / "white-road-1.wrpack"
    path.write_bytes(b"x" * 4096)
    st = FakeSyncthing()
    assert not judge(folder, path.name, None).ready  # unknown to Syncthing
    st.record(path)
    assert judge(folder, path.name, st.db_file("packs", path.name)).ready
    assert mesh.ready_packs(folder, st) == [path]  # type: ignore[arg-type]

    def variant(change: Callable[[dict[str, Any], dict[str, Any]], None]) -> mesh.Availability:
        st.record(path)
        info = st.files[path.name]
        change(info["local"], info["global"])
        return judge(folder, path.name, info)

    older = variant(lambda local, glob: glob.update(version=["CURATOR:2"]))
    assert not older.ready and "arriving" in older.reason
    assert not variant(lambda local, glob: glob.update(deleted=True)).ready
    assert not variant(lambda local, glob: local.update(deleted=True)).ready
    assert not variant(lambda local, glob: glob.update(size=5000)).ready
    changed = variant(lambda local, glob: local.update(localFlags=8))
    assert not changed.ready and "changed on this kiosk" in changed.reason
    moved = variant(lambda local, glob: local.update(modified="2020-01-01T00:00:00.5Z"))
    assert not moved.ready and "not the one Syncthing recorded" in moved.reason
    for temp in mesh.temporary_names(path.name):
        (folder / temp).write_bytes(b"")
        writing = variant(lambda local, glob: None)
        assert not writing.ready and "Syncthing is writing it" in writing.reason
        (folder / temp).unlink()
    assert variant(lambda local, glob: None).ready
    # Only visible *.wrpack files are packs; Syncthing's temporary files are not.
    others = (".syncthing.x.wrpack.tmp", "~syncthing~x.wrpack.tmp", "notes.txt", ".hidden.wrpack")
    for name in others:
        (folder / name).write_bytes(b"")
    assert mesh.pack_names(folder) == [path.name]


def test_a_pack_cut_short_is_not_whole(pack_of: Callable[[int], Path], tmp_path: Path) -> None:
    pack = pack_of(1)
    assert mesh.pack_is_whole(pack)
    data = pack.read_bytes()
    cut = tmp_path / "cut.wrpack"
    for size in (0, 100, 512, len(data) // 2, len(data) // 2 // 512 * 512, len(data) - 1536):
        cut.write_bytes(data[:size])
        assert not mesh.pack_is_whole(cut), size


def test_syncthing_times_are_read_to_the_microsecond() -> None:
    assert mesh.parse_time("2026-11-30T06:36:45.869461469Z") == pytest.approx(
        dt.datetime(2026, 11, 30, 6, 36, 45, 869461, dt.UTC).timestamp()
    )
    assert mesh.parse_time("2026-11-30T09:36:45+03:00") == mesh.parse_time("2026-11-30T06:36:45Z")
    assert mesh.parse_time("") is None and mesh.parse_time("yesterday") is None


# --- installing --------------------------------------------------------------------------------


def installer(home: FleetHome, st: FakeSyncthing, key: SecretKey, root: Path) -> MeshInstaller:
    return MeshInstaller(home, st, root, [key.public])  # type: ignore[arg-type]


def test_the_newest_complete_pack_is_installed_and_the_folder_is_never_touched(
    home: FleetHome, pack_of: Callable[[int], Path], key: SecretKey, tmp_path: Path
) -> None:
    st, root = FakeSyncthing(), tmp_path / "releases"
    arrive(home, pack_of(1), st)
    arrive(home, pack_of(2), st, "CURATOR:2")
    before = folder_state(home.packs)
    outcomes = installer(home, st, key, root).scan()
    assert {o.name: o.status for o in outcomes} == {
        "white-road-1.wrpack": SKIPPED,
        "white-road-2.wrpack": "installed",
    }
    current = releases.current_release(root)
    assert current is not None and current.version == 2
    assert folder_state(home.packs) == before  # not a byte, not a time changed
    assert list(home.inbox.iterdir()) == []  # the private copy is gone
    state = home.read_state()
    assert state["installed_total"] == 1 and state["packs"]["white-road-2.wrpack"]["release"]
    assert installer(home, st, key, root).scan() == []  # nothing new: nothing done


def test_a_pack_still_arriving_or_half_written_is_waited_for(
    home: FleetHome, pack_of: Callable[[int], Path], key: SecretKey, tmp_path: Path
) -> None:
    st, root = FakeSyncthing(), tmp_path / "releases"
    arrive(home, pack_of(1), st)
    inst = installer(home, st, key, root)
    inst.scan()
    pack = pack_of(2)
    # An older version of the file is here and the newest is on its way: not even looked at.
    path = arrive(home, pack, st)
    st.files[pack.name]["global"]["version"] = ["CURATOR:7"]
    assert inst.scan() == []
    assert home.read_state()["arriving"] == 1
    # The curator's side was still writing it when Syncthing sent it: complete for Syncthing,
    # cut short as a pack. Waited for (reported once), neither installed nor refused.
    data = pack.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    st.record(path, "CURATOR:8")
    outcomes = inst.scan()
    assert [(o.status, o.message) for o in outcomes] == [
        (WAITING, "still being written on the curator's side")
    ]
    assert inst.scan() == []
    assert releases.current_release(root).version == 1  # type: ignore[union-attr]
    assert home.read_state().get("refused_total", 0) == 0
    # Whole at last, a new version: installed.
    path.write_bytes(data)
    st.record(path, "CURATOR:9")
    assert [o.status for o in inst.scan()] == ["installed"]
    assert releases.current_release(root).version == 2  # type: ignore[union-attr]


def test_a_bad_signature_is_refused_once_per_version_and_the_release_stays(
    home: FleetHome, pack_of: Callable[[int], Path], key: SecretKey, tmp_path: Path
) -> None:
    st, root = FakeSyncthing(), tmp_path / "releases"
    arrive(home, pack_of(1), st)
    inst = installer(home, st, key, root)
    inst.scan()
    bad = pack_of(2)
    tamper_signature(bad)
    arrive(home, bad, st, "CURATOR:2")
    (outcome,) = inst.scan()
    assert outcome.status == REFUSED and "signature" in outcome.message
    assert inst.scan() == []  # the same version is not tried again
    arrive(home, bad, st, "CURATOR:3")  # published again: tried again, refused again
    assert [o.status for o in inst.scan()] == [REFUSED]
    assert home.read_state()["refused_total"] == 2
    assert releases.current_release(root).version == 1  # type: ignore[union-attr]


def test_a_pack_replaced_while_it_is_copied_waits_for_the_next_pass(
    home: FleetHome, pack_of: Callable[[int], Path], key: SecretKey, tmp_path: Path
) -> None:
    st, root = FakeSyncthing(), tmp_path / "releases"
    path = arrive(home, pack_of(1), st)
    inst = installer(home, st, key, root)
    real = st.db_file

    def newer_on_second_look(folder: str, name: str) -> dict[str, Any] | None:
        if st.calls == 0:  # after the first look, Syncthing puts a newer version in place
            info = real(folder, name)
            st.record(path, "CURATOR:2")
            return info
        return real(folder, name)

    st.db_file = newer_on_second_look  # type: ignore[method-assign]
    (outcome,) = inst.scan()
    assert outcome.status == WAITING and "newer version" in outcome.message
    assert releases.current_release(root) is None
    assert [o.status for o in inst.scan()] == ["installed"]


# --- the kiosk's duties in one call ------------------------------------------------------------


def test_the_kiosk_installs_exports_and_reports(
    home: FleetHome, pack_of: Callable[[int], Path], key: SecretKey, tmp_path: Path
) -> None:
    st, root, db = FakeSyncthing(), tmp_path / "releases", tmp_path / "analytics.sqlite"
    write_events(db, "hall-2", run=7, start_seq=0, n=30)
    clock = [1000.0]
    kiosk = FleetKiosk(
        home,
        root,
        [key.public],
        analytics_db=db,
        client=st,  # type: ignore[arg-type]
        export_every_s=300,
        shown=lambda: "shown-release",
        clock=lambda: clock[0],
    )
    arrive(home, pack_of(1), st)
    assert [o.status for o in kiosk.scan()] == ["installed"]
    snapshot = home.stats_dir("hall-2") / SNAPSHOT_NAME
    assert count_events(snapshot) == 30
    report = json.loads((home.stats_dir("hall-2") / STATUS_NAME).read_text())
    assert report["kiosk"] == "hall-2" and report["release_shown"] == "shown-release"
    assert report["version_installed"] == 1 and report["stats_events"] == 30
    assert report["faults"] == [] and report["written_at"] == 1000.0
    # Nothing changed: no new export before it is due, no rewritten report.
    write_events(db, "hall-2", run=7, start_seq=30, n=5)
    clock[0] += 10
    kiosk.scan()
    assert count_events(snapshot) == 30
    assert json.loads((home.stats_dir("hall-2") / STATUS_NAME).read_text())["written_at"] == 1000.0
    clock[0] += 300
    kiosk.scan()
    assert count_events(snapshot) == 35
    figures = health.figures(home, root, clock[0] + 20)
    assert figures["kiosk_fleet_pack_version"] == 1
    assert figures["kiosk_fleet_stats_export_age_seconds"] == 20
    assert figures["kiosk_fleet_packs_refused_total"] == 0
    lines = health.render(figures)
    assert "# TYPE kiosk_fleet_packs_refused_total counter" in lines
    assert "kiosk_fleet_pack_version 1" in lines


def test_the_kiosk_keeps_going_when_syncthing_is_down(
    home: FleetHome, key: SecretKey, tmp_path: Path
) -> None:
    class Down(FakeSyncthing):
        def db_file(self, folder: str, name: str) -> dict[str, Any] | None:
            from kiosk.fleet.rest import SyncthingError

            raise SyncthingError("Syncthing does not answer")

    (home.packs / "white-road-1.wrpack").write_bytes(b"x")
    kiosk = FleetKiosk(home, tmp_path / "releases", [key.public], client=Down())  # type: ignore[arg-type]
    assert kiosk.scan() == []
    assert json.loads((home.stats_dir("hall-2") / STATUS_NAME).read_text())["kiosk"] == "hall-2"


def test_a_refusal_is_a_fault_while_the_pack_is_offered(
    home: FleetHome, pack_of: Callable[[int], Path], key: SecretKey, tmp_path: Path
) -> None:
    st = FakeSyncthing()
    kiosk = FleetKiosk(home, tmp_path / "releases", [key.public], client=st)  # type: ignore[arg-type]
    bad = pack_of(2)
    tamper_signature(bad)
    path = arrive(home, bad, st)
    kiosk.scan()
    report = json.loads((home.stats_dir("hall-2") / STATUS_NAME).read_text())
    assert [f["pack"] for f in report["faults"]] == [bad.name] and report["refused_total"] == 1
    path.unlink()  # the curator replaced it; Syncthing deleted it here
    del st.files[bad.name]
    kiosk.scan()
    report = json.loads((home.stats_dir("hall-2") / STATUS_NAME).read_text())
    assert report["faults"] == [] and report["refused_total"] == 1
