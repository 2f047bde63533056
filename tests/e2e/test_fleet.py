"""The fleet end to end: a curator and five kiosks on one machine, each its own network namespace
on a bridge, each running a real Syncthing (Debian's package), the kiosks' side being the
product's own code (testkit/fleet.py).

One journey, phase by phase, because each phase starts from where the last one left the fleet:

1. pairing on purpose: a kiosk the curator has not paired is refused and listed as unknown;
2. a published pack is installed and shown on every kiosk (the time is printed);
3. one kiosk's Syncthing is killed in the middle of a transfer: nothing partial is installed,
   and after a restart the transfer completes and the pack is installed;
4. a pack with a bad signature is refused on every kiosk, reported to the curator, and every
   kiosk keeps the release it had;
5. a pack the curator's side is still writing is waited for (neither refused nor installed),
   then installed once whole;
6. statistics from every kiosk are merged on the curator's machine twice, with the same totals;
7. no packet ever left for an address outside the lab, and no host used its loopback.

Needs root (network namespaces) and Syncthing (Debian package: syncthing; ``make test``
installs it). The lab's namespaces and processes are removed even when the test fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.delivery import releases
from kiosk.delivery.packs import MANIFEST, Manifest
from kiosk.delivery.signing import SecretKey
from kiosk.fleet import health, mesh, status
from kiosk.fleet.layout import SNAPSHOT_NAME
from kiosk.fleet.publish import publish
from kiosk.fleet.stats import merge_fleet
from testkit.fleet import (
    CURATOR,
    FleetLab,
    count_events,
    make_content_pack,
    tamper_signature,
    write_events,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(600)]

KIOSKS = 5


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[FleetLab, SecretKey]]:
    if os.geteuid() != 0:
        pytest.skip("the fleet test builds network namespaces: run it as root")
    if shutil.which("syncthing") is None:
        pytest.skip("syncthing is not installed (Debian package: syncthing)")
    key = SecretKey.generate()
    lab = FleetLab(tmp_path, KIOSKS, [key.public])
    try:
        yield lab, key
    finally:
        lab.close()


def releases_are_complete(root: Path) -> bool:
    """Every installed release holds exactly its manifest's files, each with its hash."""
    for rel in releases.releases(root):
        manifest = Manifest.parse((rel.path / MANIFEST).read_bytes())
        files = [p for p in rel.content.rglob("*") if p.is_file()]
        found = {p.relative_to(rel.content).as_posix() for p in files}
        if found != {f.path for f in manifest.files}:
            return False
        for f in manifest.files:
            if hashlib.sha256((rel.content / f.path).read_bytes()).hexdigest() != f.sha256:
                return False
    return True


def installed(fl: FleetLab, kiosk: str) -> str:
    """The release installed on a kiosk (``version-hash``), "" when none."""
    current = releases.current_release(fl.work / kiosk / "releases")
    return current.base if current is not None else ""


def kiosk_report(fl: FleetLab, kiosk: str) -> dict[str, Any]:
    """The kiosk's status.json as it reached the curator's machine."""
    path = fl.homes[CURATOR].stats_dir(kiosk) / "status.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def test_fleet_on_one_machine(fleet: tuple[FleetLab, SecretKey], tmp_path: Path) -> None:
    fl, key = fleet
    cur_home, cur = fl.homes[CURATOR], fl.clients[CURATOR]
    names, late = fl.names[:-1], fl.names[-1]

    # 1. Pairing on purpose: the last kiosk knows the curator, the curator does not know it yet.
    fl.start_all()
    fl.pair(names)
    fl.wait_connected(names)
    fl.wait_for(
        lambda: fl.device_ids[late] in cur.pending_devices(), 60, f"{late} listed as unknown"
    )
    assert fl.device_ids[late] not in [d["deviceID"] for d in cur.config()["devices"]]
    assert not cur.connections()["connections"].get(fl.device_ids[late], {}).get("connected")
    paired = CliRunner().invoke(main, [
        "fleet", "pair", "--name", late, "--device", fl.device_ids[late],
        "--address", fl.lab.host(late).address, "--home", str(cur_home.root)])  # fmt: skip
    assert paired.exit_code == 0, paired.output
    fl.wait_connected(fl.names)

    # 2. Publish: installed and shown on every kiosk.
    for i, name in enumerate(fl.names):
        write_events(fl.analytics_db(name), name, run=1000 + i, start_seq=0, n=50 * (i + 1))
    fl.start_agents(export_every_s=2.0)
    v1 = make_content_pack(tmp_path / "white-road-1.wrpack", key, 1)
    start = time.monotonic()
    published = CliRunner().invoke(
        main, ["content", "publish", str(v1), "--fleet", "--home", str(cur_home.root)]
    )
    assert published.exit_code == 0, published.output
    release_1 = f"1-{Manifest.parse(_manifest_bytes(v1)).digest[:8]}"
    took = fl.wait_shown(release_1, 60) - start
    print(f"\n{v1.stat().st_size / 1e6:.1f} MB pack installed and shown on {KIOSKS} kiosks "
          f"{took:.2f} s after publishing")  # fmt: skip
    fl.wait_for(
        lambda: all(k.newest_installed for k in status.collect(cur_home, cur).kiosks),
        60,
        "every kiosk reports the pack installed",
    )
    first_merge = merge_fleet(cur_home, tmp_path / "merged.sqlite")
    assert {m.source for m in first_merge} <= {f"{n}.sqlite" for n in fl.names}

    # 3. A kiosk's Syncthing is killed in the middle of a transfer.
    victim = fl.names[2]
    vic, vic_home = fl.clients[victim], fl.homes[victim]
    # Syncthing's "Kbps" are KiB/s: about 2 MB/s, so the transfer takes a while.
    vic.request("PATCH", "/rest/config/options",
                body={"maxRecvKbps": 2000, "limitBandwidthInLan": True})  # fmt: skip
    v2 = make_content_pack(tmp_path / "white-road-2.wrpack", key, 2, pad_bytes=40 << 20,
                           work=tmp_path)  # fmt: skip
    p2 = publish(v2, cur_home, cur)
    temp = vic_home.packs / mesh.temporary_names(v2.name)[0]
    # The temporary file has its final size at once; the blocks written show the progress.
    fl.wait_for(lambda: temp.stat().st_blocks * 512 > (4 << 20), 60, "a transfer under way")
    assert v2.name not in [p.name for p in mesh.ready_packs(vic_home.packs, vic)]
    fl.kill_syncthing(victim)
    time.sleep(2)  # the kiosk's side keeps scanning, without its Syncthing
    others = [n for n in fl.names if n != victim]
    fl.wait_shown(p2.release_name, 120, others)
    assert p2.release_name not in fl.agents[victim].shown_at
    assert installed(fl, victim) == release_1
    assert not (vic_home.packs / v2.name).exists()
    fl.start_syncthing(victim)
    vic.request("PATCH", "/rest/config/options", body={"maxRecvKbps": 0})
    fl.wait_shown(p2.release_name, 120, [victim])
    for name in fl.names:
        assert releases_are_complete(fl.work / name / "releases"), name

    # 4. A pack with a bad signature: refused everywhere, reported; the old release stays.
    v3 = make_content_pack(tmp_path / "white-road-3.wrpack", key, 3)
    tamper_signature(v3)
    publish(v3, cur_home, cur)

    def refused_everywhere() -> bool:
        reports = [kiosk_report(fl, n) for n in fl.names]
        return all(any(f["pack"] == v3.name for f in r.get("faults", [])) for r in reports)

    fl.wait_for(refused_everywhere, 60, "the bad pack refused and reported by every kiosk")
    shown = CliRunner().invoke(main, ["fleet", "status", "--json", "--home", str(cur_home.root)])
    assert shown.exit_code == 0, shown.output
    for row in json.loads(shown.output)["kiosks"]:
        assert any(v3.name in f and "signature" in f for f in row["faults"]), row
    for name in fl.names:
        assert fl.agents[name].shown == p2.release_name
        assert installed(fl, name) == p2.release_name
        figures = health.figures(fl.homes[name], fl.work / name / "releases", time.time())
        assert figures["kiosk_fleet_packs_refused_total"] == 1
        assert figures["kiosk_fleet_pack_version"] == 2
    table = CliRunner().invoke(main, ["fleet", "status", "--home", str(cur_home.root)]).output
    assert all(name in table for name in fl.names) and "refused white-road-3.wrpack" in table

    # 5. A pack still being written on the curator's side is waited for, then installed.
    v4 = make_content_pack(tmp_path / "white-road-4.wrpack", key, 4)
    data = v4.read_bytes()
    half = cur_home.packs / v4.name
    half.write_bytes(data[: len(data) * 3 // 5])  # a careless copy, not `publish`
    cur.scan("packs")
    fl.wait_for(
        lambda: all(
            mesh.judge(fl.homes[n].packs, v4.name, fl.clients[n].db_file("packs", v4.name)).ready
            for n in fl.names
        ),
        60,
        "the half-written pack synced to every kiosk",
    )

    def waiting_everywhere() -> bool:
        memory = [fl.homes[n].read_state().get("packs", {}).get(v4.name, {}) for n in fl.names]
        return all(m.get("status") == mesh.WAITING for m in memory)

    fl.wait_for(waiting_everywhere, 30, "every kiosk waiting for the half-written pack")
    time.sleep(1.5)  # several more passes of every kiosk
    assert waiting_everywhere()
    for name in fl.names:
        assert fl.agents[name].shown == p2.release_name
        assert installed(fl, name) == p2.release_name
    with half.open("ab") as fh:
        fh.write(data[len(data) * 3 // 5 :])
    cur.scan("packs")
    fl.wait_shown(f"4-{Manifest.parse(_manifest_bytes(v4)).digest[:8]}", 60)

    # 6. Statistics: a last batch on every kiosk, exported, merged twice with the same totals.
    for agent in fl.agents.values():
        agent.stop()
    expected = 0
    for i, name in enumerate(fl.names):
        db = fl.analytics_db(name)
        write_events(db, name, run=1000 + i, start_seq=50 * (i + 1), n=20)
        fl.agents[name].fleet.export_stats(force=True)
        expected += count_events(db)
    snapshots = {n: cur_home.stats_dir(n) / SNAPSHOT_NAME for n in fl.names}
    kiosk_counts = {n: count_events(fl.analytics_db(n)) for n in fl.names}
    fl.wait_for(
        lambda: all(count_events(snapshots[n]) == kiosk_counts[n] for n in fl.names),
        60,
        "every kiosk's last snapshot on the curator's machine",
    )
    out = tmp_path / "merged.sqlite"
    again = merge_fleet(cur_home, out)
    total = count_events(out)
    third = merge_fleet(cur_home, out)
    assert total == expected == sum(kiosk_counts.values())
    assert count_events(out) == total
    assert sum(m.events_added for m in third) == 0
    assert sum(m.events_added for m in first_merge) + sum(m.events_added for m in again) == total

    # 7. The traffic stayed inside the lab.
    assert fl.lab.foreign_traffic() == []
    for name in [CURATOR, *fl.names]:
        assert fl.lab.loopback_packets(name) == 0, name
    for agent in fl.agents.values():
        assert agent.errors == []


def _manifest_bytes(pack: Path) -> bytes:
    with tarfile.open(pack) as tf:
        return tf.extractfile(MANIFEST).read()  # type: ignore[union-attr]
