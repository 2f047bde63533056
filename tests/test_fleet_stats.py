"""Statistics back from the kiosks: consistent snapshots (SQLite's backup API) and merges on the
curator's machine that never count an event twice, however often they run."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.analytics import schema
from kiosk.cli import main
from kiosk.fleet.layout import SNAPSHOT_NAME, FleetError, FleetHome
from kiosk.fleet.stats import export_snapshot, merge_fleet, snapshots
from testkit.fleet import count_events, write_events

BATCH = 25


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_a_snapshot_is_one_moment_even_while_the_kiosk_writes(tmp_path: Path) -> None:
    home, db = FleetHome(tmp_path / "fleet"), tmp_path / "analytics.sqlite"
    write_events(db, "hall-2", run=1, start_seq=0, n=BATCH)
    stop = threading.Event()

    def writer() -> None:
        seq = BATCH
        while not stop.is_set():
            write_events(db, "hall-2", run=1, start_seq=seq, n=BATCH)  # one transaction each
            seq += BATCH

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        counts = []
        for _ in range(8):
            done, _sig = export_snapshot(db, home, "hall-2")
            assert done is not None and done.copied
            counts.append(count_events(done.path))
    finally:
        stop.set()
        thread.join()
    # Never half a batch: each snapshot holds whole transactions only.
    assert all(n % BATCH == 0 and n > 0 for n in counts), counts
    assert counts == sorted(counts)


def test_a_snapshot_needs_nothing_beside_it(tmp_path: Path) -> None:
    home, db = FleetHome(tmp_path / "fleet"), tmp_path / "analytics.sqlite"
    write_events(db, "hall-2", run=1, start_seq=0, n=9)
    # The kiosk's writer keeps its connection, and its last commit in the write-ahead log.
    writer = schema.connect(db, busy_timeout_s=5)
    try:
        writer.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        write_events(db, "hall-2", run=1, start_seq=9, n=1)
        assert db.with_name(db.name + "-wal").stat().st_size > 0
        done, _sig = export_snapshot(db, home, "hall-2")
    finally:
        writer.close()
    assert done is not None
    header = done.path.read_bytes()[:100]
    assert header[18:20] == b"\x01\x01"  # rollback journal: a reader needs no -wal or -shm
    folder = done.path.parent
    before = listing(folder)
    assert count_events(done.path) == 10
    assert listing(folder) == before  # reading it created nothing in the synced folder
    assert list(home.tmp.iterdir()) == []  # no temporary file left behind


def test_an_unchanged_database_is_not_copied_again(tmp_path: Path) -> None:
    home, db = FleetHome(tmp_path / "fleet"), tmp_path / "analytics.sqlite"
    assert export_snapshot(db, home, "hall-2") == (None, [])  # no database yet
    write_events(db, "hall-2", run=1, start_seq=0, n=10)
    first, sig = export_snapshot(db, home, "hall-2")
    assert first is not None and first.copied
    stamp = first.path.stat().st_mtime_ns
    again, sig2 = export_snapshot(db, home, "hall-2", last=sig)
    assert again is not None and not again.copied and sig2 == sig
    assert first.path.stat().st_mtime_ns == stamp
    write_events(db, "hall-2", run=1, start_seq=10, n=5)
    third, _ = export_snapshot(db, home, "hall-2", last=sig)
    assert third is not None and third.copied and count_events(third.path) == 15


def test_merging_as_often_as_one_likes_counts_each_event_once(tmp_path: Path) -> None:
    kiosk_side = FleetHome(tmp_path / "kiosks")
    curator = FleetHome(tmp_path / "curator")
    dbs = {name: tmp_path / f"{name}.sqlite" for name in ("hall-1", "hall-2", "foyer")}
    for i, (name, db) in enumerate(dbs.items()):
        write_events(db, name, run=100 + i, start_seq=0, n=10 * (i + 1))

    def sync() -> None:
        """What Syncthing does: each kiosk's snapshot appears in the curator's folder."""
        for name, db in dbs.items():
            done, _ = export_snapshot(db, kiosk_side, name)
            assert done is not None
            dest = curator.stats_dir(name) / SNAPSHOT_NAME
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(done.path, dest.with_suffix(".tmp"))
            os.replace(dest.with_suffix(".tmp"), dest)

    sync()
    assert set(snapshots(curator)) == set(dbs)
    out = tmp_path / "merged.sqlite"
    folders = {n: listing(curator.stats_dir(n)) for n in dbs}
    first = merge_fleet(curator, out)
    assert sum(m.events_added for m in first) == count_events(out) == 60
    assert {m.source for m in first} == {f"{n}.sqlite" for n in dbs}
    second = merge_fleet(curator, out)
    assert sum(m.events_added for m in second) == 0 and count_events(out) == 60
    # New events on one kiosk: the next snapshot brings only those.
    write_events(dbs["foyer"], "foyer", run=102, start_seq=30, n=7)
    sync()
    third = merge_fleet(curator, out)
    assert sum(m.events_added for m in third) == 7 and count_events(out) == 67
    assert merge_fleet(curator, out) and count_events(out) == 67
    # The received folders were only read.
    for name in dbs:
        now = listing(curator.stats_dir(name))
        assert set(now) == set(folders[name])


def test_nothing_to_merge_says_so(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match="no kiosk statistics"):
        merge_fleet(FleetHome(tmp_path / "curator"), tmp_path / "merged.sqlite")


def test_the_curator_merges_the_fleet_from_the_command_line(tmp_path: Path) -> None:
    """`kiosk stats merge --fleet`: every kiosk's snapshot, run as often as one likes."""
    curator = FleetHome(tmp_path / "curator")
    for i, name in enumerate(("hall-1", "hall-2")):
        db = tmp_path / f"{name}.sqlite"
        write_events(db, name, run=200 + i, start_seq=0, n=4 + i)
        done, _ = export_snapshot(db, FleetHome(tmp_path / name), name)
        assert done is not None
        curator.stats_dir(name).mkdir(parents=True)
        shutil.copyfile(done.path, curator.stats_dir(name) / SNAPSHOT_NAME)
    out = tmp_path / "museum.db"
    runner = CliRunner()
    args = ["stats", "merge", "--fleet", "--home", str(curator.root), "--output", str(out)]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "hall-1.sqlite: 4 events (hall-1), 4 new" in first.output
    assert count_events(out) == 9
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "5 events (hall-2), 0 new" in again.output
    assert count_events(out) == 9  # never counted twice
    empty = runner.invoke(main, [*args[:3], "--home", str(tmp_path / "nothing"), "-o", str(out)])
    assert empty.exit_code == 1 and "no kiosk statistics" in empty.output
    both = runner.invoke(main, [*args, str(out)])
    assert both.exit_code == 2 and "or --fleet" in both.output
    neither = runner.invoke(main, ["stats", "merge", "--output", str(out)])
    assert neither.exit_code == 2 and "Traceback" not in neither.output
